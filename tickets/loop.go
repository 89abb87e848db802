package tickets

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
)

// Unrated rules: how a resolved ticket whose citizen never answered the return visit counts in
// the satisfaction figures once LoopSettings.UnratedDays have passed.
const (
	UnratedNotRated  = "not_rated" // it stays out of the 三率
	UnratedSatisfied = "satisfied" // it counts as a valid visit: contacted, solved, satisfied (默认满意)
)

// LoopSettings are the centre's settings of the closed loop (闭环), one row: which answers make
// a reached return visit valid (有效回访) and through which channels; how many attempts that
// reach nobody before the citizen counts as unreachable and the visit clock stops; the
// working days a department has to rectify a named bad rating (差评整改); and the rule for
// citizens who never answer.
type LoopSettings struct {
	bun.BaseModel `bun:"table:loop_settings"`

	ID                     int        `bun:"id,pk" json:"-"`
	ValidNeedsContacted    bool       `bun:"valid_needs_contacted" json:"valid_needs_contacted"`
	ValidNeedsSolved       bool       `bun:"valid_needs_solved" json:"valid_needs_solved"`
	ValidNeedsSatisfaction bool       `bun:"valid_needs_satisfaction" json:"valid_needs_satisfaction"`
	ValidChannels          []string   `bun:"valid_channels,array" json:"valid_channels"`
	MaxAttempts            int        `bun:"max_attempts" json:"max_attempts"`
	RectifyWorkdays        int        `bun:"rectify_workdays" json:"rectify_workdays"`
	UnratedRule            string     `bun:"unrated_rule" json:"unrated_rule"`
	UnratedDays            int        `bun:"unrated_days" json:"unrated_days"`
	UpdatedAt              *time.Time `bun:"updated_at" json:"updated_at,omitempty"`
}

// DefaultLoopSettings are the settings a new database starts with.
var DefaultLoopSettings = LoopSettings{ID: 1, ValidNeedsContacted: true, ValidNeedsSolved: true, ValidNeedsSatisfaction: true,
	ValidChannels: slices.Clone(VisitChannels), MaxAttempts: 3, RectifyWorkdays: 5, UnratedRule: UnratedNotRated, UnratedDays: 7}

// Check refuses settings that cannot work, naming the field.
func (l *LoopSettings) Check() error {
	for _, c := range l.ValidChannels {
		if !slices.Contains(VisitChannels, c) {
			return invalid("valid_channels", "each must be phone, sms, web or ivr")
		}
	}
	switch {
	case len(l.ValidChannels) == 0:
		return invalid("valid_channels", "at least one channel must count")
	case l.MaxAttempts < 1 || l.MaxAttempts > 10:
		return invalid("max_attempts", "from 1 to 10")
	case l.RectifyWorkdays < 1 || l.RectifyWorkdays > 60:
		return invalid("rectify_workdays", "from 1 to 60 working days")
	case l.UnratedRule != UnratedNotRated && l.UnratedRule != UnratedSatisfied:
		return invalid("unrated_rule", "must be not_rated or satisfied")
	case l.UnratedDays < 1 || l.UnratedDays > 90:
		return invalid("unrated_days", "from 1 to 90 days")
	}
	return nil
}

// validVisit decides whether a visit counts (有效回访): it reached the citizen through a
// channel that counts, and has every answer the rules ask for.
func (l *LoopSettings) validVisit(in *VisitInput) bool {
	return in.Outcome == "reached" && slices.Contains(l.ValidChannels, in.Channel) &&
		(!l.ValidNeedsContacted || in.Contacted != nil) &&
		(!l.ValidNeedsSolved || in.Solved != "") &&
		(!l.ValidNeedsSatisfaction || in.Satisfaction != "")
}

// LoadLoopSettings reads the settings.
func LoadLoopSettings(ctx context.Context, db bun.IDB) (*LoopSettings, error) {
	l := new(LoopSettings)
	if err := db.NewSelect().Model(l).Where("id = 1").Scan(ctx); err != nil {
		return nil, fmt.Errorf("loop settings: %w", err)
	}
	return l, nil
}

// LoopSettings reads the settings.
func (s *Service) LoopSettings(ctx context.Context) (*LoopSettings, error) {
	return LoadLoopSettings(ctx, s.db)
}

// SetLoopSettings replaces the settings; only administrators and supervisors may.
func (s *Service) SetLoopSettings(ctx context.Context, actor Actor, l LoopSettings) (*LoopSettings, error) {
	if actor.Role != org.RoleAdmin && actor.Role != org.RoleSupervisor {
		return nil, fmt.Errorf("%s may not change the return visit settings: %w", actor.Role, ErrForbidden)
	}
	if err := l.Check(); err != nil {
		return nil, err
	}
	l.ID, l.UpdatedAt = 1, ptr(s.clock.Now())
	if _, err := s.db.NewUpdate().Model(&l).WherePK().Exec(ctx); err != nil {
		return nil, fmt.Errorf("save loop settings: %w", err)
	}
	s.log.InfoContext(ctx, "return visit settings changed", "actor", actor.Name)
	return &l, nil
}
