package routing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/pgnotify"
)

// NotifyChannel is the PostgreSQL LISTEN/NOTIFY channel on which a change of
// the rules or of the classifier is announced to every process.
const NotifyChannel = "routing_rules"

// ErrNotFound means no such rule (or a deleted one).
var ErrNotFound = errors.New("routing rule not found")

// ErrConflict means the rule was changed by someone else since it was read.
var ErrConflict = errors.New("routing rule was changed by someone else")

// ruleRow is a row of routing_rules.
type ruleRow struct {
	bun.BaseModel `bun:"table:routing_rules,alias:r"`

	ID         int64      `bun:"id,pk,autoincrement"`
	Version    int        `bun:"version"`
	Name       string     `bun:"name"`
	Priority   int        `bun:"priority"`
	Enabled    bool       `bun:"enabled"`
	Conditions Conditions `bun:"conditions,type:jsonb"`
	Action     Action     `bun:"action,type:jsonb"`
	Deleted    bool       `bun:"deleted"`
	UpdatedAt  time.Time  `bun:"updated_at"`
	UpdatedBy  string     `bun:"updated_by"`
}

func (r *ruleRow) rule() Rule {
	return Rule{ID: r.ID, Version: r.Version, Name: r.Name, Priority: r.Priority, Enabled: r.Enabled,
		Conditions: r.Conditions, Action: r.Action}
}

// RuleVersion is one stored version of a rule: what it was after a change.
type RuleVersion struct {
	bun.BaseModel `bun:"table:routing_rule_versions,alias:v"`

	RuleID    int64     `bun:"rule_id,pk" json:"rule_id"`
	Version   int       `bun:"version,pk" json:"version"`
	Change    string    `bun:"change" json:"change"` // create, update or delete
	Rule      Rule      `bun:"rule,type:jsonb" json:"rule"`
	ChangedAt time.Time `bun:"changed_at" json:"changed_at"`
	ChangedBy string    `bun:"changed_by" json:"changed_by"`
	StaffID   *int64    `bun:"staff_id" json:"-"`
}

// Editor is who changes a rule: a staff account's id (0 for none) and name.
type Editor struct {
	ID   int64
	Name string
}

// Store reads and writes the routing tables. Every change of a rule writes
// its new version and announces itself on NotifyChannel in the same
// transaction, so other processes reload only what was committed.
type Store struct {
	db bun.IDB
}

// NewStore returns a store on db (a pool or a transaction).
func NewStore(db bun.IDB) *Store { return &Store{db: db} }

// Rules returns the live (not deleted) rules in precedence order.
func (s *Store) Rules(ctx context.Context) ([]Rule, error) {
	var rows []ruleRow
	if err := s.db.NewSelect().Model(&rows).Where("NOT r.deleted").Order("r.priority", "r.id").Scan(ctx); err != nil {
		return nil, fmt.Errorf("load routing rules: %w", err)
	}
	out := make([]Rule, len(rows))
	for i := range rows {
		out[i] = rows[i].rule()
	}
	return out, nil
}

// Rule returns the live rule id.
func (s *Store) Rule(ctx context.Context, id int64) (Rule, error) {
	var row ruleRow
	err := s.db.NewSelect().Model(&row).Where("r.id = ? AND NOT r.deleted", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Rule{}, fmt.Errorf("rule %d: %w", id, ErrNotFound)
	} else if err != nil {
		return Rule{}, fmt.Errorf("rule %d: %w", id, err)
	}
	return row.rule(), nil
}

// Versions returns every version of rule id, oldest first, including those
// of a deleted rule.
func (s *Store) Versions(ctx context.Context, id int64) ([]RuleVersion, error) {
	var vs []RuleVersion
	if err := s.db.NewSelect().Model(&vs).Where("v.rule_id = ?", id).Order("v.version").Scan(ctx); err != nil {
		return nil, fmt.Errorf("versions of rule %d: %w", id, err)
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("rule %d: %w", id, ErrNotFound)
	}
	return vs, nil
}

// Fingerprint changes whenever a rule or the classifier changes: the sum of
// the rules' versions (every change raises one) and the newest model's id.
func (s *Store) Fingerprint(ctx context.Context) (string, error) {
	var versions, rules, model int64
	err := s.db.QueryRowContext(ctx, `SELECT
		(SELECT coalesce(sum(version), 0) FROM routing_rules),
		(SELECT count(*) FROM routing_rules),
		(SELECT coalesce(max(id), 0) FROM routing_models)`).Scan(&versions, &rules, &model)
	if err != nil {
		return "", fmt.Errorf("routing fingerprint: %w", err)
	}
	return strconv.FormatInt(versions, 10) + "/" + strconv.FormatInt(rules, 10) + "/" + strconv.FormatInt(model, 10), nil
}

// Create inserts r as version 1 of a new rule (or of the rule with r.ID,
// when given and free) and returns it. The caller validates r first.
func (s *Store) Create(ctx context.Context, r Rule, by Editor, at time.Time) (Rule, error) {
	row := &ruleRow{ID: r.ID, Version: 1, Name: r.Name, Priority: r.Priority, Enabled: r.Enabled,
		Conditions: r.Conditions, Action: r.Action, UpdatedAt: at, UpdatedBy: by.Name}
	q := s.db.NewInsert().Model(row).Returning("id")
	if r.ID == 0 {
		q = q.ExcludeColumn("id")
	}
	if _, err := q.Exec(ctx); err != nil {
		return Rule{}, fmt.Errorf("create rule %q: %w", r.Name, err)
	}
	if r.ID != 0 {
		// Keep the id sequence ahead of explicitly numbered rules.
		if _, err := s.db.ExecContext(ctx,
			"SELECT setval(pg_get_serial_sequence('routing_rules', 'id'), greatest((SELECT max(id) FROM routing_rules), 1))"); err != nil {
			return Rule{}, fmt.Errorf("create rule %q: %w", r.Name, err)
		}
	}
	out := row.rule()
	return out, s.record(ctx, out, "create", by, at)
}

// SeedRules stores each of rules, checked against the directory, as version 1 under its own
// id, unless a rule with that id exists — perhaps edited by an administrator since — which is
// left alone; so seeding the same rules twice changes nothing. A seeder loads its rules with it
// inside the transaction that loads the rest of its data.
func SeedRules(ctx context.Context, db bun.IDB, rules []Rule, by Editor, at time.Time) error {
	st := NewStore(db)
	cat, err := catalogue(ctx, db)
	if err != nil {
		return err
	}
	for _, r := range rules {
		if ps := r.ValidateWith(cat); len(ps) > 0 {
			return &ValidationError{Problems: ps}
		}
		exists, err := db.NewSelect().Model((*ruleRow)(nil)).Where("id = ?", r.ID).Exists(ctx)
		if err != nil {
			return fmt.Errorf("seed routing rules: %w", err)
		}
		if exists {
			continue
		}
		if _, err := st.Create(ctx, r, by, at); err != nil {
			return fmt.Errorf("seed routing rules: %w", err)
		}
	}
	return nil
}

// Update replaces rule r.ID with r, raising its version by one. When
// r.Version is not zero it must be the current version (ErrConflict
// otherwise), so that two administrators do not overwrite each other.
func (s *Store) Update(ctx context.Context, r Rule, by Editor, at time.Time) (Rule, error) {
	var row ruleRow
	err := s.db.NewSelect().Model(&row).Where("r.id = ? AND NOT r.deleted", r.ID).For("UPDATE").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Rule{}, fmt.Errorf("rule %d: %w", r.ID, ErrNotFound)
	} else if err != nil {
		return Rule{}, fmt.Errorf("rule %d: %w", r.ID, err)
	}
	if r.Version != 0 && r.Version != row.Version {
		return Rule{}, fmt.Errorf("rule %d: you saw version %d, it is now %d: %w", r.ID, r.Version, row.Version, ErrConflict)
	}
	row.Version++
	row.Name, row.Priority, row.Enabled, row.Conditions, row.Action = r.Name, r.Priority, r.Enabled, r.Conditions, r.Action
	row.UpdatedAt, row.UpdatedBy = at, by.Name
	if _, err := s.db.NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
		return Rule{}, fmt.Errorf("update rule %d: %w", r.ID, err)
	}
	out := row.rule()
	return out, s.record(ctx, out, "update", by, at)
}

// Delete marks rule id deleted, as a new version, so it no longer decides
// tickets while its history stays.
func (s *Store) Delete(ctx context.Context, id int64, by Editor, at time.Time) (Rule, error) {
	var row ruleRow
	err := s.db.NewSelect().Model(&row).Where("r.id = ? AND NOT r.deleted", id).For("UPDATE").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Rule{}, fmt.Errorf("rule %d: %w", id, ErrNotFound)
	} else if err != nil {
		return Rule{}, fmt.Errorf("rule %d: %w", id, err)
	}
	row.Version++
	row.Deleted, row.UpdatedAt, row.UpdatedBy = true, at, by.Name
	if _, err := s.db.NewUpdate().Model(&row).WherePK().Exec(ctx); err != nil {
		return Rule{}, fmt.Errorf("delete rule %d: %w", id, err)
	}
	out := row.rule()
	return out, s.record(ctx, out, "delete", by, at)
}

// record appends the version row and announces the change.
func (s *Store) record(ctx context.Context, r Rule, change string, by Editor, at time.Time) error {
	v := &RuleVersion{RuleID: r.ID, Version: r.Version, Change: change, Rule: r, ChangedAt: at, ChangedBy: by.Name}
	if by.ID != 0 {
		v.StaffID = &by.ID
	}
	if _, err := s.db.NewInsert().Model(v).Exec(ctx); err != nil {
		return fmt.Errorf("record version %d of rule %d: %w", r.Version, r.ID, err)
	}
	return s.Notify(ctx, "rule "+strconv.FormatInt(r.ID, 10)+" v"+strconv.Itoa(r.Version))
}

// Notify announces a change on NotifyChannel; inside a transaction the
// notification is delivered when it commits.
func (s *Store) Notify(ctx context.Context, payload string) error {
	return pgnotify.Notify(ctx, s.db, NotifyChannel, payload)
}

// modelRow is a row of routing_models.
type modelRow struct {
	bun.BaseModel `bun:"table:routing_models,alias:m"`

	ID          int64           `bun:"id,pk,autoincrement"`
	TrainedAt   time.Time       `bun:"trained_at"`
	Examples    int             `bun:"examples"`
	FromHistory int             `bun:"from_history"`
	Model       json.RawMessage `bun:"model,type:jsonb"`
}

// ModelInfo describes a stored classifier.
type ModelInfo struct {
	ID          int64     `json:"id"`
	TrainedAt   time.Time `json:"trained_at"`
	Examples    int       `json:"examples"`
	FromHistory int       `json:"from_history"`
}

// SaveModel stores a trained classifier, keeps the newest few and
// announces it.
func (s *Store) SaveModel(ctx context.Context, c *Classifier, info ModelInfo) (ModelInfo, error) {
	b, err := json.Marshal(c)
	if err != nil {
		return info, fmt.Errorf("save classifier: %w", err)
	}
	row := &modelRow{TrainedAt: info.TrainedAt, Examples: info.Examples, FromHistory: info.FromHistory, Model: b}
	if _, err := s.db.NewInsert().Model(row).ExcludeColumn("id").Returning("id").Exec(ctx); err != nil {
		return info, fmt.Errorf("save classifier: %w", err)
	}
	if _, err := s.db.NewDelete().Model((*modelRow)(nil)).Where("id <= ?", row.ID-5).Exec(ctx); err != nil {
		return info, fmt.Errorf("prune classifiers: %w", err)
	}
	info.ID = row.ID
	return info, s.Notify(ctx, "model "+strconv.FormatInt(row.ID, 10))
}

// LatestModel returns the newest stored classifier, or ErrNoModel.
func (s *Store) LatestModel(ctx context.Context) (*Classifier, ModelInfo, error) {
	var row modelRow
	err := s.db.NewSelect().Model(&row).Order("m.id DESC").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ModelInfo{}, ErrNoModel
	} else if err != nil {
		return nil, ModelInfo{}, fmt.Errorf("load classifier: %w", err)
	}
	c := new(Classifier)
	if err := json.Unmarshal(row.Model, c); err != nil {
		return nil, ModelInfo{}, fmt.Errorf("load classifier %d: %w", row.ID, err)
	}
	return c, ModelInfo{ID: row.ID, TrainedAt: row.TrainedAt, Examples: row.Examples, FromHistory: row.FromHistory}, nil
}

// ErrNoModel means no classifier has been stored yet.
var ErrNoModel = errors.New("no stored classifier")
