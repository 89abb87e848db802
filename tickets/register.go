package tickets

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
)

// A Router decides where a new ticket goes (派单 at registration). It runs inside the
// registering transaction before the ticket is written, so that a ticket a rule dispatches is
// written once, already with its department and deadlines, rather than written and rewritten.
type Router interface {
	Route(ctx context.Context, tx bun.Tx, d *Draft) (Routing, error)
}

// Draft is a ticket about to be registered, as a router sees it: every field is set but its
// id and number, which the database gives it.
type Draft struct {
	*Ticket
	// CategoryPath is the category's code followed by its ancestors' codes up to the root.
	CategoryPath []string
}

// Routing is a router's verdict on a new ticket.
type Routing struct {
	// Dispatch, when set, sends the ticket to its lead department at once, as the system.
	Dispatch *DispatchInput
	// Held gives the timeline event that says why the ticket stays registered in the centre's
	// dispatch queue: no rule dispatched it (failed is nil), or the dispatch could not be done
	// (failed says why: its department is unknown or takes no tickets). Nil writes no event.
	Held func(failed error) *Event
}

// Register creates a ticket with a new number and its first timeline event, routed by the
// service's router.
func (s *Service) Register(ctx context.Context, actor Actor, in RegisterInput) (*Ticket, error) {
	return s.RegisterTx(ctx, actor, in, nil)
}

// RegisterTx is Register with a hook that runs inside the creating transaction, after the
// ticket and its events are written, so other domains (intake, telephony, the agent console)
// write their own rows atomically with the ticket.
func (s *Service) RegisterTx(ctx context.Context, actor Actor, in RegisterInput, hook func(ctx context.Context, tx bun.Tx, t *Ticket) error) (*Ticket, error) {
	if _, err := Next(StatusNone, ActRegister, actor.Role); err != nil {
		return nil, err
	}
	if err := checkRegister(&in); err != nil {
		return nil, err
	}
	now := s.clock.Now()
	day := now.In(s.loc).Format("20060102")
	if err := s.ensureSequence(ctx, day); err != nil {
		return nil, err
	}
	t := &Ticket{
		Type: in.Type, Channel: in.Channel, Status: StatusRegistered, Version: 1,
		Title: strings.TrimSpace(in.Title), Description: in.Description,
		Address: strings.TrimSpace(in.Address), District: in.District, Street: in.Street, Lat: in.Lat, Lon: in.Lon,
		CallerName: strings.TrimSpace(in.CallerName), CallerPhone: strings.TrimSpace(in.CallerPhone), CallerEmail: strings.TrimSpace(in.CallerEmail),
		Priority: in.Priority, RegisteredBy: actor.idPtr(), CreatedAt: now, UpdatedAt: now,
	}
	var routed string // how routing left the ticket, for the log
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		f, err := categoryFacts(ctx, tx, in.Category)
		if err != nil {
			return err
		}
		t.CategoryID = f.categoryID
		if t.Type == "" {
			t.Type = f.ticketType
		}
		if t.Type == "" {
			t.Type = "complaint"
		}
		if !oneOf(t.Type, Types) {
			return invalid("type", fmt.Sprintf("unknown ticket type %q", t.Type))
		}
		t.ProfileCode, t.Profile = f.profile.Code, &f.profile
		t.FeedbackDue = ptr(now.Add(time.Duration(f.profile.FeedbackHours) * time.Hour))
		data := map[string]any{"channel": t.Channel, "feedback_due": t.FeedbackDue}
		for k, v := range in.Data {
			data[k] = v
		}
		first, err := s.event(t, actor, ActRegister, StatusNone, "", data)
		if err != nil {
			return err
		}
		events := []*Event{first}
		var cos []*org.Department
		if s.router != nil && !in.Unrouted {
			r, err := s.router.Route(ctx, tx, &Draft{Ticket: t, CategoryPath: f.path})
			if err != nil {
				return err
			}
			var failed error
			if r.Dispatch != nil {
				var ev *Event
				ev, cos, failed = s.dispatchNew(ctx, tx, t, *r.Dispatch)
				if failed == nil {
					events, routed = append(events, ev), "dispatched"
				} else if !errors.Is(failed, ErrInvalid) {
					return failed
				}
			}
			if routed == "" && r.Held != nil {
				if ev := r.Held(failed); ev != nil {
					events, routed = append(events, ev), "held"
				}
			}
		}
		if err := s.insertNew(ctx, tx, t, day, events, cos); err != nil {
			return err
		}
		if hook != nil {
			return hook(ctx, tx, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("register ticket: %w", err)
	}
	s.log.InfoContext(ctx, "ticket registered", "ticket_no", t.Number, "channel", t.Channel, "phone", MaskPhone(t.CallerPhone), "routing", routed)
	return t, nil
}

// checkRegister checks and normalises what a registration is given.
func checkRegister(in *RegisterInput) error {
	in.Description = strings.TrimSpace(in.Description)
	switch {
	case in.Description == "":
		return invalid("description", "is required")
	case utf8.RuneCountInString(in.Description) > MaxDescription:
		return invalid("description", fmt.Sprintf("is longer than %d characters", MaxDescription))
	case !utf8.ValidString(in.Description + in.Title + in.Address + in.CallerName):
		return invalid("description", "is not valid UTF-8")
	case !oneOf(in.Channel, Channels):
		return invalid("channel", fmt.Sprintf("unknown channel %q", in.Channel))
	case in.Priority != "" && in.Priority != "normal" && in.Priority != "urgent":
		return invalid("priority", "must be normal or urgent")
	case (in.Lat == nil) != (in.Lon == nil):
		return invalid("lat", "lat and long go together")
	case in.Lat != nil && (*in.Lat < -90 || *in.Lat > 90):
		return invalid("lat", "out of range")
	case in.Lon != nil && (*in.Lon < -180 || *in.Lon > 180):
		return invalid("long", "out of range")
	}
	if in.Priority == "" {
		in.Priority = "normal"
	}
	return nil
}

// The statements of the registration path are prepared once per connection and reuse their
// plan (pgx's statement cache): registration is the hot path, and parsing and planning its SQL
// afresh each time costs the database more than running it.
const (
	categoryFactsSQL = `SELECT c.id, c.ticket_type, p.code, p.name_zh, p.accept_hours, p.feedback_hours,
		p.resolve_workdays, p.callback_workdays,
		(WITH RECURSIVE up AS (
			SELECT id, parent_id, code, 0 AS depth FROM categories WHERE id = c.id
			UNION ALL SELECT k.id, k.parent_id, k.code, up.depth + 1 FROM categories k JOIN up ON k.id = up.parent_id)
		SELECT string_agg(code, ' ' ORDER BY depth) FROM up)
		FROM categories c JOIN deadline_profiles p ON p.code = c.profile_code WHERE c.code = $1`
	standardFactsSQL = `SELECT NULL::bigint, '', p.code, p.name_zh, p.accept_hours, p.feedback_hours,
		p.resolve_workdays, p.callback_workdays, ''
		FROM deadline_profiles p WHERE p.code = 'standard'`
	departmentsSQL = `SELECT id, code, name_zh, name_en, kind, active FROM departments WHERE code = ANY($1::text[])`
	// The ticket, its events and its co-handling departments in one statement, its number drawn
	// from the day's sequence inside it. The number has at least six digits, as %06d writes it.
	insertNewSQL = `WITH t AS (
		INSERT INTO tickets (number, type, channel, status, version, category_id, title, description,
			address, district, street, lat, lon, caller_name, caller_phone, caller_email, department_id,
			priority, profile_code, registered_by, created_at, updated_at, dispatched_at, accept_due,
			feedback_due, resolve_due)
		SELECT $1::text || '-' || lpad(n::text, greatest(6, length(n::text)), '0'), $3, $4, $5, $6, $7, $8, $9,
			$10, $11, $12, $13, $14, $15, $16, $17, $18,
			$19, $20, $21, $22, $23, $24, $25,
			$26, $27
		FROM nextval($2::text::regclass) AS n
		RETURNING id, number),
	e AS (
		INSERT INTO ticket_events (ticket_id, kind, actor_id, actor_name, actor_role, department_id, at, public,
			from_status, to_status, body, data)
		SELECT t.id, ev.kind, NULLIF(ev.actor_id, 0), ev.actor_name, ev.actor_role, NULLIF(ev.department_id, 0),
			ev.at, ev.public, ev.from_status, ev.to_status, ev.body, ev.data::jsonb
		FROM t, unnest($28::text[], $29::bigint[], $30::text[], $31::text[], $32::bigint[], $33::timestamptz[],
			$34::bool[], $35::text[], $36::text[], $37::text[], $38::text[]) WITH ORDINALITY
			AS ev(kind, actor_id, actor_name, actor_role, department_id, at, public, from_status, to_status, body, data, ord)
		ORDER BY ev.ord),
	c AS (
		INSERT INTO ticket_co_departments (ticket_id, department_id) SELECT t.id, unnest($39::bigint[]) FROM t)
	SELECT id, number FROM t`
)

// cached makes a statement run prepared, from the connection's statement cache.
var cached = pgx.QueryExecModeCacheStatement

type facts struct {
	categoryID *int64
	ticketType string
	profile    org.Profile
	path       []string
}

// categoryFacts reads a category's id, default type, deadline profile and path to the root in
// one round trip; no category gives the standard profile.
func categoryFacts(ctx context.Context, tx bun.Tx, category string) (facts, error) {
	var f facts
	p := &f.profile
	var row *sql.Row
	var path string // codes separated by spaces, which a code never holds
	if category != "" {
		row = tx.Tx.QueryRowContext(ctx, categoryFactsSQL, cached, category)
	} else {
		row = tx.Tx.QueryRowContext(ctx, standardFactsSQL, cached)
	}
	err := row.Scan(&f.categoryID, &f.ticketType, &p.Code, &p.NameZh, &p.AcceptHours, &p.FeedbackHours,
		&p.ResolveWorkdays, &p.CallbackWorkdays, &path)
	if errors.Is(err, sql.ErrNoRows) && category != "" {
		return f, invalid("category", fmt.Sprintf("unknown category %q", category))
	} else if err != nil {
		return f, fmt.Errorf("category and deadline profile: %w", err)
	}
	f.path = strings.Fields(path)
	return f, nil
}

// event builds the timeline event of actor's action a on t, which is now in its new status.
func (s *Service) event(t *Ticket, actor Actor, a Action, from Status, body string, data map[string]any) (*Event, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("event data: %w", err)
	}
	return &Event{
		TicketID: t.ID, Kind: string(a), ActorID: actor.idPtr(), ActorName: actor.Name, ActorRole: string(actor.Role),
		DepartmentID: actor.deptPtr(), At: s.clock.Now(), Public: Public(a),
		FromStatus: string(from), ToStatus: string(t.Status), Body: strings.TrimSpace(body), Data: raw,
	}, nil
}

// dispatchNew dispatches the ticket being registered, as the system, before it is written: it
// moves t to dispatched and returns the dispatch event and the co-handling departments.
func (s *Service) dispatchNew(ctx context.Context, tx bun.Tx, t *Ticket, in DispatchInput) (*Event, []*org.Department, error) {
	if _, err := Next(t.Status, ActDispatch, System.Role); err != nil {
		return nil, nil, err
	}
	lead, cos, err := dispatchTargets(ctx, tx, in)
	if err != nil {
		return nil, nil, err
	}
	p := t.Profile
	if in.Profile != "" && in.Profile != p.Code {
		if p, err = org.NewStore(tx).Profile(ctx, in.Profile); errors.Is(err, org.ErrNotFound) {
			return nil, nil, invalid("profile", fmt.Sprintf("unknown deadline profile %q", in.Profile))
		} else if err != nil {
			return nil, nil, err
		}
	}
	data := map[string]any{}
	for k, v := range in.Data {
		data[k] = v
	}
	s.setDispatch(t, p, lead, cos, in, data)
	from := t.Status
	t.Status, t.Version = StatusDispatched, t.Version+1
	ev, err := s.event(t, System, ActDispatch, from, in.Text, data)
	return ev, cos, err
}

// dispatchTargets reads and checks a dispatch's lead and co-handling departments in one round
// trip: each must exist and still take tickets.
func dispatchTargets(ctx context.Context, tx bun.Tx, in DispatchInput) (*org.Department, []*org.Department, error) {
	if in.Priority != "" && in.Priority != "normal" && in.Priority != "urgent" {
		return nil, nil, invalid("priority", "must be normal or urgent")
	}
	rows, err := tx.Tx.QueryContext(ctx, departmentsSQL, cached, append([]string{in.Department}, in.CoHandlers...))
	if err != nil {
		return nil, nil, fmt.Errorf("departments: %w", err)
	}
	defer rows.Close()
	byCode := map[string]*org.Department{}
	for rows.Next() {
		d := new(org.Department)
		if err := rows.Scan(&d.ID, &d.Code, &d.NameZh, &d.NameEn, &d.Kind, &d.Active); err != nil {
			return nil, nil, fmt.Errorf("departments: %w", err)
		}
		byCode[d.Code] = d
	}
	if err := rows.Err(); err != nil {
		return nil, nil, fmt.Errorf("departments: %w", err)
	}
	pick := func(field, code string) (*org.Department, error) {
		d := byCode[code]
		switch {
		case d == nil:
			return nil, invalid(field, fmt.Sprintf("unknown department %q", code))
		case !d.Active:
			return nil, invalid(field, fmt.Sprintf("department %q takes no tickets", code))
		}
		return d, nil
	}
	lead, err := pick("department", in.Department)
	if err != nil {
		return nil, nil, err
	}
	var cos []*org.Department
	for _, code := range in.CoHandlers {
		d, err := pick("co_handlers", code)
		if err != nil {
			return nil, nil, err
		}
		if d.ID != lead.ID && !containsDept(cos, d.ID) {
			cos = append(cos, d)
		}
	}
	return lead, cos, nil
}

func containsDept(ds []*org.Department, id int64) bool {
	for _, d := range ds {
		if d.ID == id {
			return true
		}
	}
	return false
}

// setDispatch points t at lead under profile p, with acceptance and resolution deadlines from
// now, and fills the dispatch event's data.
func (s *Service) setDispatch(t *Ticket, p *org.Profile, lead *org.Department, cos []*org.Department, in DispatchInput, ev map[string]any) {
	now := s.clock.Now()
	t.ProfileCode, t.Profile = p.Code, p
	if in.Priority != "" {
		t.Priority = in.Priority
	}
	t.DepartmentID, t.Department = &lead.ID, lead
	t.DispatchedAt, t.AcceptedAt = &now, nil
	t.AcceptDue = ptr(s.cal.AddWorkingHours(now, time.Duration(p.AcceptHours)*time.Hour))
	t.ResolveDue = ptr(s.cal.AddWorkdays(now, p.ResolveWorkdays))
	t.UpdatedAt = now
	coCodes := []string{}
	for _, d := range cos {
		coCodes = append(coCodes, d.Code)
	}
	ev["department"], ev["department_name"] = lead.Code, lead.NameZh
	ev["co_handlers"] = coCodes
	ev["profile"], ev["priority"] = t.ProfileCode, t.Priority
	ev["accept_due"], ev["resolve_due"] = t.AcceptDue, t.ResolveDue
	if in.RuleID != 0 {
		ev["rule_id"], ev["rule_version"] = in.RuleID, in.RuleVersion
	}
	if in.DecisionNote != "" {
		ev["decision"] = in.DecisionNote
	}
}

// insertNew writes the new ticket t, its events and its co-handling departments in one
// statement, and gives t its id and number.
func (s *Service) insertNew(ctx context.Context, tx bun.Tx, t *Ticket, day string, events []*Event, cos []*org.Department) error {
	n := len(events)
	kinds, names, roles := make([]string, n), make([]string, n), make([]string, n)
	actors, depts := make([]int64, n), make([]int64, n)
	ats, public := make([]time.Time, n), make([]bool, n)
	from, to, bodies, data := make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	for i, ev := range events {
		kinds[i], names[i], roles[i] = ev.Kind, ev.ActorName, ev.ActorRole
		if ev.ActorID != nil {
			actors[i] = *ev.ActorID
		}
		if ev.DepartmentID != nil {
			depts[i] = *ev.DepartmentID
		}
		ats[i], public[i] = ev.At, ev.Public
		from[i], to[i], bodies[i] = ev.FromStatus, ev.ToStatus, ev.Body
		data[i] = "{}"
		if len(ev.Data) > 0 {
			data[i] = string(ev.Data)
		}
	}
	coIDs := make([]int64, len(cos))
	for i, d := range cos {
		coIDs[i] = d.ID
	}
	err := tx.Tx.QueryRowContext(ctx, insertNewSQL, cached,
		day, seqName(day), t.Type, t.Channel, string(t.Status), t.Version, t.CategoryID, t.Title, t.Description,
		t.Address, t.District, t.Street, t.Lat, t.Lon, t.CallerName, t.CallerPhone, t.CallerEmail, t.DepartmentID,
		t.Priority, t.ProfileCode, t.RegisteredBy, t.CreatedAt, t.UpdatedAt, t.DispatchedAt, t.AcceptDue,
		t.FeedbackDue, t.ResolveDue,
		kinds, actors, names, roles, depts, ats, public, from, to, bodies, data,
		coIDs).Scan(&t.ID, &t.Number)
	if err != nil {
		return fmt.Errorf("insert ticket: %w", err)
	}
	for _, ev := range events {
		ev.TicketID = t.ID
	}
	return nil
}
