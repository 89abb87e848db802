package routing

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/account"
	clk "github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// DayTyper tells the day type (DayWorkday, DayWeekend, DayHoliday) of a
// moment; package workcal's Calendar is one.
type DayTyper interface {
	DayType(t time.Time) string
}

// Config wires a Service.
type Config struct {
	DB       *bun.DB
	Tickets  *tickets.Service
	Calendar DayTyper
	Clock    clk.Clock
	Location *time.Location
	Log      *slog.Logger
	Cache    *Cache
	// HistoryDays is how far back dispatched tickets train the classifier
	// (default 180).
	HistoryDays int
	// DuplicateDays is how far back duplicate candidates are looked for
	// (default 30).
	DuplicateDays int
}

// Service is routing's side of the ticket loop: it keeps the rules
// (administration, versions, dry runs), dispatches new tickets by them,
// handles returns (退单) and their review, finds duplicates (并单) and trains
// the department classifier.
type Service struct {
	db      *bun.DB
	tickets *tickets.Service
	cal     DayTyper
	clock   clk.Clock
	loc     *time.Location
	log     *slog.Logger
	cache   *Cache
	histDay int
	dupDays int
}

// NewService wires the service.
func NewService(c Config) *Service {
	s := &Service{db: c.DB, tickets: c.Tickets, cal: c.Calendar, clock: c.Clock, loc: c.Location, log: c.Log,
		cache: c.Cache, histDay: c.HistoryDays, dupDays: c.DuplicateDays}
	if s.loc == nil {
		s.loc = time.Local
	}
	if s.histDay <= 0 {
		s.histDay = 180
	}
	if s.dupDays <= 0 {
		s.dupDays = 30
	}
	return s
}

// Cache returns the service's rule cache.
func (s *Service) Cache() *Cache { return s.cache }

// FieldError is bad input to the service, naming the field.
type FieldError struct {
	Field string `json:"field"`
	Msg   string `json:"error"`
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

func fieldErr(field, format string, args ...any) error {
	return &FieldError{Field: field, Msg: fmt.Sprintf(format, args...)}
}

// Rules returns the live rules in precedence order.
func (s *Service) Rules(ctx context.Context) ([]Rule, error) { return NewStore(s.db).Rules(ctx) }

// Rule returns the live rule id.
func (s *Service) Rule(ctx context.Context, id int64) (Rule, error) {
	return NewStore(s.db).Rule(ctx, id)
}

// Versions returns every version of rule id, oldest first.
func (s *Service) Versions(ctx context.Context, id int64) ([]RuleVersion, error) {
	return NewStore(s.db).Versions(ctx, id)
}

// catalogue reads the codes rules may name from the directory.
func catalogue(ctx context.Context, db bun.IDB) (*Catalogue, error) {
	c := &Catalogue{Categories: map[string]bool{}, Departments: map[string]bool{}, Profiles: map[string]bool{}}
	for _, q := range []struct {
		sql string
		m   map[string]bool
	}{
		{"SELECT code FROM categories", c.Categories},
		{"SELECT code FROM departments WHERE active", c.Departments},
		{"SELECT code FROM deadline_profiles", c.Profiles},
	} {
		var codes []string
		if err := db.NewRaw(q.sql).Scan(ctx, &codes); err != nil {
			return nil, fmt.Errorf("routing catalogue: %w", err)
		}
		for _, code := range codes {
			q.m[code] = true
		}
	}
	return c, nil
}

func (s *Service) validate(ctx context.Context, db bun.IDB, r Rule) error {
	cat, err := catalogue(ctx, db)
	if err != nil {
		return err
	}
	if ps := r.ValidateWith(cat); len(ps) > 0 {
		return &ValidationError{Problems: ps}
	}
	return nil
}

// CreateRule validates r against the directory and stores it as version 1 of
// a new rule. r.ID may name a free id; 0 takes the next one.
func (s *Service) CreateRule(ctx context.Context, by Editor, r Rule) (Rule, error) {
	if r.ID < 0 {
		return Rule{}, &ValidationError{Problems: []Problem{{RuleID: r.ID, Rule: r.Name, Field: "id", Message: "negative id"}}}
	}
	r.Version = 0
	var out Rule
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := s.validate(ctx, tx, r); err != nil {
			return err
		}
		if r.ID != 0 {
			exists, err := tx.NewSelect().Model((*ruleRow)(nil)).Where("id = ?", r.ID).Exists(ctx)
			if err != nil {
				return err
			}
			if exists {
				return &ValidationError{Problems: []Problem{{RuleID: r.ID, Rule: r.Name, Field: "id", Message: fmt.Sprintf("rule %d exists already", r.ID)}}}
			}
		}
		var err error
		if out, err = NewStore(tx).Create(ctx, r, by, s.clock.Now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "routing_rule_created", out)
	})
	if err != nil {
		return Rule{}, err
	}
	s.changed(ctx, "rule created", out)
	return out, nil
}

// UpdateRule validates r and stores it as the next version of rule r.ID.
// r.Version, when not zero, must be the version the editor saw.
func (s *Service) UpdateRule(ctx context.Context, by Editor, r Rule) (Rule, error) {
	var out Rule
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if err := s.validate(ctx, tx, r); err != nil {
			return err
		}
		var err error
		if out, err = NewStore(tx).Update(ctx, r, by, s.clock.Now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "routing_rule_updated", out)
	})
	if err != nil {
		return Rule{}, err
	}
	s.changed(ctx, "rule updated", out)
	return out, nil
}

// DeleteRule deletes rule id as a new version; its history stays.
func (s *Service) DeleteRule(ctx context.Context, by Editor, id int64) (Rule, error) {
	var out Rule
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		if out, err = NewStore(tx).Delete(ctx, id, by, s.clock.Now()); err != nil {
			return err
		}
		return s.audit(ctx, tx, by, "routing_rule_deleted", out)
	})
	if err != nil {
		return Rule{}, err
	}
	s.changed(ctx, "rule deleted", out)
	return out, nil
}

// audit writes the audit entry of a rule's change in the change's transaction.
func (s *Service) audit(ctx context.Context, tx bun.Tx, by Editor, action string, r Rule) error {
	return account.Record(ctx, tx, s.clock.Now(), account.Change{ActorID: by.ID, ActorName: by.Name, Action: action,
		ObjectType: "routing_rule", ObjectKey: strconv.FormatInt(r.ID, 10), Detail: map[string]any{"version": r.Version}})
}

// changed reloads this process's cache at once; the others follow through
// the notification.
func (s *Service) changed(ctx context.Context, msg string, r Rule) {
	s.log.InfoContext(ctx, msg, "rule_id", r.ID, "rule_version", r.Version)
	if err := s.cache.Load(ctx); err != nil {
		s.log.WarnContext(ctx, "reload routing rules", "err", err)
	}
}

// Request is what is known of a ticket to route: by the dry run, or taken
// from a registered ticket.
type Request struct {
	Text     string    `json:"text"`
	Category string    `json:"category"` // category code
	Address  string    `json:"address"`
	District string    `json:"district"`
	Street   string    `json:"street"`
	Channel  string    `json:"channel"`
	Type     string    `json:"type"`
	Phone    string    `json:"phone"`
	At       time.Time `json:"at"` // zero: now
	Lat      *float64  `json:"lat,omitempty"`
	Lon      *float64  `json:"lon,omitempty"`
}

// RepeatWindow is how far back a caller's earlier tickets count for
// Input.RecentByPhone.
const RepeatWindow = 30 * 24 * time.Hour

// input builds the engine's input for a dry run: the category's path through the directory,
// the day type from the calendar, and the caller's tickets of the repeat window, counted as
// registration counts them.
func (s *Service) input(ctx context.Context, req Request) (Input, error) {
	at := req.At
	if at.IsZero() {
		at = s.clock.Now()
	}
	in := Input{Type: req.Type, Channel: req.Channel, Description: req.Text, Address: req.Address,
		District: req.District, Street: req.Street, At: at.In(s.loc)}
	if s.cal != nil {
		in.DayType = s.cal.DayType(at)
	}
	if req.Lat != nil && req.Lon != nil {
		in.Point = &orb.Point{*req.Lon, *req.Lat}
	}
	if req.Category != "" {
		dirs := org.NewStore(s.db)
		c, err := dirs.Category(ctx, req.Category)
		if errors.Is(err, org.ErrNotFound) {
			return Input{}, fieldErr("category", "unknown category %q", req.Category)
		} else if err != nil {
			return Input{}, err
		}
		if in.Type == "" {
			in.Type = c.TicketType
		}
		if in.CategoryPath, err = dirs.CategoryPath(ctx, c.ID); err != nil {
			return Input{}, fmt.Errorf("category path: %w", err)
		}
	}
	limit := s.cache.Engine().RecentByPhoneCap()
	recent, err := recentByPhone(ctx, s.db.DB, []call{{strings.TrimSpace(req.Phone), at}}, limit)
	if err != nil {
		return Input{}, err
	}
	in.RecentByPhone, in.RecentAtLeast = recent[0], limit > 0 && recent[0] == limit
	return in, nil
}

// DryRunResult is what a dry run shows: the input as the engine saw it,
// every rule's verdict, the decision, and the classifier's suggestions.
type DryRunResult struct {
	Input       Input        `json:"input"`
	Explanation Explanation  `json:"explanation"`
	Suggestions []Suggestion `json:"suggestions"`
}

// DryRun evaluates the current rules against req without registering
// anything.
func (s *Service) DryRun(ctx context.Context, req Request) (*DryRunResult, error) {
	if strings.TrimSpace(req.Text) == "" && req.Category == "" {
		return nil, fieldErr("text", "give a text or a category")
	}
	if !utf8.ValidString(req.Text + req.Address + req.District + req.Street) {
		return nil, fieldErr("text", "is not valid UTF-8")
	}
	if req.Channel != "" && !oneOf(req.Channel, channels) && !oneOf(req.Channel, tickets.Channels) {
		return nil, fieldErr("channel", "unknown channel %q", req.Channel)
	}
	if req.Type != "" && !oneOf(req.Type, ticketTypes) {
		return nil, fieldErr("type", "unknown ticket type %q", req.Type)
	}
	if (req.Lat == nil) != (req.Lon == nil) {
		return nil, fieldErr("lat", "lat and lon go together")
	}
	in, err := s.input(ctx, req)
	if err != nil {
		return nil, err
	}
	x := s.cache.Engine().Explain(in)
	return &DryRunResult{Input: in, Explanation: x, Suggestions: s.Suggest(req.Text, 3)}, nil
}

// Suggest returns the classifier's top k departments for text.
func (s *Service) Suggest(text string, k int) []Suggestion {
	return s.cache.Classifier().Suggest(text, k)
}

// KindRouting is the timeline event kind routing writes when it leaves a
// ticket at the centre: held for a dispatcher, or matched by no rule.
const KindRouting = "routing"

// Route decides where new tickets go, inside the transaction that registers them and before
// they are written (a tickets.Router): a rule that dispatches sends a ticket to its lead unit,
// with the rule and version on the dispatch event; a rule that holds it, or no rule at all,
// leaves it registered in the centre's dispatch queue with a routing event saying why — and,
// when no rule matched, the classifier's three best departments.
func (s *Service) Route(ctx context.Context, tx bun.Tx, drafts []*tickets.Draft) ([]tickets.Routing, error) {
	// The rules these tickets are decided by: taken once, so that the counts below are made
	// exactly when these rules look at them.
	engine := s.cache.Engine()
	limit := engine.RecentByPhoneCap()
	calls := make([]call, len(drafts))
	for i, t := range drafts {
		calls[i] = call{t.CallerPhone, t.CreatedAt}
	}
	recent, err := recentByPhone(ctx, tx.Tx, calls, limit)
	if err != nil {
		return nil, err
	}
	out := make([]tickets.Routing, len(drafts))
	for i, t := range drafts {
		at := t.CreatedAt
		in := Input{Type: t.Type, Channel: t.Channel, Description: t.Description, Address: t.Address,
			District: t.District, Street: t.Street, At: at.In(s.loc), CategoryPath: t.CategoryPath,
			RecentByPhone: recent[i], RecentAtLeast: limit > 0 && recent[i] == limit}
		if s.cal != nil {
			in.DayType = s.cal.DayType(at)
		}
		if t.Lat != nil && t.Lon != nil {
			in.Point = &orb.Point{*t.Lon, *t.Lat}
		}
		d := engine.Decide(in)
		out[i].Held = func(failed error) *tickets.Event { return s.held(t, d, failed) }
		if d.Dispatched() {
			priority := "" // a normal rule keeps the priority the agent gave
			if d.Urgent {
				priority = PriorityUrgent
			}
			out[i].Dispatch = &tickets.DispatchInput{
				ActInput:     tickets.ActInput{Data: map[string]any{"rule_name": d.RuleName, "why": d.Why, "urgent": d.Urgent}},
				Department:   d.Action.Lead,
				CoHandlers:   d.Action.CoHandlers,
				Profile:      d.Action.Profile,
				Priority:     priority,
				RuleID:       d.RuleID,
				RuleVersion:  d.RuleVersion,
				DecisionNote: strings.Join(d.Why, "；"),
			}
		}
	}
	return out, nil
}

// recentBySQL counts each caller's tickets of the repeat window before their new one, up to a
// limit: a number that calls all day costs no more than one that called a few times. The term
// that the phone is not empty lets the planner use the partial phone index rather than scan the
// month's tickets.
const recentBySQL = `SELECT (SELECT count(*) FROM (SELECT FROM tickets
		WHERE caller_phone = q.phone AND caller_phone <> '' AND created_at >= q.since AND created_at <= q.at
		LIMIT $4) AS earlier)
	FROM unnest($1::text[], $2::timestamptz[], $3::timestamptz[]) WITH ORDINALITY AS q(phone, since, at, i) ORDER BY q.i`

// call is a contact to count a caller's earlier tickets for: the phone, and when it came.
type call struct {
	phone string
	at    time.Time
}

// recentByPhone counts, for each call with a phone, its caller's tickets of the repeat window
// up to limit: those already written, and those of earlier calls in the same list. Nothing is
// counted while limit is 0 (no rule asks).
func recentByPhone(ctx context.Context, db interface {
	QueryContext(context.Context, string, ...any) (*sql.Rows, error)
}, calls []call, limit int) ([]int, error) {
	n := make([]int, len(calls))
	if limit == 0 {
		return n, nil
	}
	var phones []string
	var since, ats []time.Time
	var idx []int
	inBatch := map[string]int{}
	for i, c := range calls {
		if c.phone == "" {
			continue
		}
		n[i] = inBatch[c.phone]
		inBatch[c.phone]++
		phones, idx = append(phones, c.phone), append(idx, i)
		since, ats = append(since, c.at.Add(-RepeatWindow)), append(ats, c.at)
	}
	if len(phones) == 0 {
		return n, nil
	}
	rows, err := db.QueryContext(ctx, recentBySQL, pgx.QueryExecModeCacheStatement, phones, since, ats, limit)
	if err != nil {
		return nil, fmt.Errorf("repeat calls: %w", err)
	}
	defer rows.Close()
	for k := 0; rows.Next(); k++ {
		var c int
		if err := rows.Scan(&c); err != nil {
			return nil, fmt.Errorf("repeat calls: %w", err)
		}
		if k < len(idx) {
			n[idx[k]] = min(n[idx[k]]+c, limit)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("repeat calls: %w", err)
	}
	return n, nil
}

// held is the routing event of a ticket that stays in the centre's dispatch queue under
// decision d; failed says why a dispatching rule could not dispatch it.
func (s *Service) held(t *tickets.Draft, d Decision, failed error) *tickets.Event {
	if failed != nil {
		// A rule naming a department that no longer takes tickets must not lose the ticket: it
		// waits for a dispatcher instead.
		s.log.Warn("rule could not dispatch; queued", "rule_id", d.RuleID, "err", failed)
		d.Why = append(d.Why, "规则派单失败，转人工 the rule could not dispatch: "+failed.Error())
	}
	data := map[string]any{"decision": d}
	body := "留中心派单队列 left in the centre's dispatch queue: " + strings.Join(d.Why, "；")
	if d.Queue {
		sug := s.Suggest(strings.TrimSpace(t.Title+" "+t.Description), 3)
		data["suggestions"] = sug
		data["model_id"] = s.cache.ModelInfo().ID
		if len(sug) > 0 {
			var parts []string
			for _, g := range sug {
				parts = append(parts, fmt.Sprintf("%s %.0f%%", g.Department, g.Confidence*100))
			}
			body += "；建议 suggested: " + strings.Join(parts, ", ")
		}
	}
	raw, err := json.Marshal(data)
	if err != nil { // a decision is plain data; this cannot happen
		raw = []byte("{}")
	}
	return &tickets.Event{Kind: KindRouting, ActorName: tickets.System.Name, ActorRole: string(tickets.System.Role),
		At: s.clock.Now(), FromStatus: string(t.Status), ToStatus: string(t.Status), Body: body, Data: raw}
}

func oneOf(v string, set []string) bool {
	for _, x := range set {
		if x == v {
			return true
		}
	}
	return false
}

// noRows reports whether err is sql.ErrNoRows.
func noRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
