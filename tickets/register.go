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

	"github.com/hotline-city/hotline/internal/database"
	"github.com/hotline-city/hotline/internal/org"
)

// A Router decides where new tickets go (派单 at registration). It runs inside the registering
// transaction before the tickets are written, so that a ticket a rule dispatches is written once,
// already with its department and deadlines, rather than written and rewritten. It is given
// every ticket of a registration batch at once and answers with one Routing for each.
type Router interface {
	Route(ctx context.Context, tx bun.Tx, drafts []*Draft) ([]Routing, error)
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

// Registration is one ticket of a batch to register, and who registers it.
type Registration struct {
	Actor Actor
	Input RegisterInput
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
	var batchHook func(context.Context, bun.Tx, []*Ticket) error
	if hook != nil {
		batchHook = func(ctx context.Context, tx bun.Tx, ts []*Ticket) error { return hook(ctx, tx, ts[0]) }
	}
	ts, errs, err := s.RegisterBatch(ctx, []Registration{{Actor: actor, Input: in}}, batchHook)
	if err != nil {
		return nil, err
	}
	if errs[0] != nil {
		return nil, errs[0]
	}
	return ts[0], nil
}

// RegisterBatch registers several tickets in one transaction, each as Register would: checked,
// numbered, routed, written with its events. The batch costs a handful of statements whatever
// its size, which is what lets online intake take a burst of complaints. A registration that
// is invalid gets its error in errs and is not written; the others are. hook runs inside the
// transaction after they are written, given the tickets with nil where one was refused. When
// the transaction fails nothing is written and err says why; when its COMMIT went unanswered err
// wraps database.ErrCommitUnknown and the tickets may have been written.
func (s *Service) RegisterBatch(ctx context.Context, regs []Registration, hook func(ctx context.Context, tx bun.Tx, ts []*Ticket) error) ([]*Ticket, []error, error) {
	now := s.clock.Now()
	day := now.In(s.loc).Format("20060102")
	es := make([]*entry, len(regs))
	valid := false
	for i := range regs {
		e := &entry{Registration: regs[i]}
		es[i] = e
		if _, e.err = Next(StatusNone, ActRegister, e.Actor.Role); e.err != nil {
			continue
		}
		if e.err = checkRegister(&e.Input); e.err != nil {
			continue
		}
		e.t, valid = newTicket(e.Actor, e.Input, now), true
	}
	if valid {
		if err := s.ensureSequence(ctx, day); err != nil {
			return nil, nil, err
		}
		if err := s.placeAll(ctx, es); err != nil {
			return nil, nil, err
		}
		// A COMMIT that goes unanswered comes back as database.ErrCommitUnknown: the caller
		// must find out what happened before it writes anything again.
		err := database.RunInTx(ctx, s.db, nil, func(ctx context.Context, tx bun.Tx) error {
			if err := s.settleAll(ctx, tx, es); err != nil {
				return err
			}
			if err := s.route(ctx, tx, es); err != nil {
				return err
			}
			if err := s.insertMany(ctx, tx, day, es); err != nil {
				return err
			}
			if err := s.followRegistered(ctx, tx, es); err != nil {
				return err
			}
			if hook != nil {
				return hook(ctx, tx, tickets(es))
			}
			return nil
		})
		if err != nil {
			return nil, nil, fmt.Errorf("register ticket: %w", err)
		}
	}
	errs := make([]error, len(es))
	for i, e := range es {
		errs[i] = e.err
		if e.t != nil {
			s.log.InfoContext(ctx, "ticket registered", "ticket_no", e.t.Number, "channel", e.t.Channel, "phone", MaskPhone(e.t.CallerPhone), "routing", e.routed)
		}
	}
	return tickets(es), errs, nil
}

// entry is one registration of a batch on its way to the database: the ticket (nil once it is
// refused, with err saying why), its category path, its events and co-handling departments.
type entry struct {
	Registration
	t      *Ticket
	err    error
	path   []string
	events []*Event
	cos    []*org.Department
	routed string // how routing left the ticket, for the log
}

// refuse drops e's ticket for err.
func (e *entry) refuse(err error) { e.t, e.err = nil, err }

// tickets are the batch's tickets, nil where one was refused.
func tickets(es []*entry) []*Ticket {
	ts := make([]*Ticket, len(es))
	for i, e := range es {
		ts[i] = e.t
	}
	return ts
}

// newTicket is the ticket in checked registration in, before its category is read.
func newTicket(actor Actor, in RegisterInput, now time.Time) *Ticket {
	return &Ticket{
		Type: in.Type, Channel: in.Channel, Status: StatusRegistered, Version: 1,
		Title: strings.TrimSpace(in.Title), Description: in.Description,
		Address: strings.TrimSpace(in.Address), District: in.District, Street: in.Street, Lat: in.Lat, Lon: in.Lon,
		CallerName: strings.TrimSpace(in.CallerName), CallerPhone: strings.TrimSpace(in.CallerPhone), CallerEmail: strings.TrimSpace(in.CallerEmail),
		Priority: in.Priority, RegisteredBy: actor.idPtr(), CreatedAt: now, UpdatedAt: now,
		Confidential: in.Confidential, ReplyWanted: !in.NoReply,
	}
}

// settleAll gives each ticket its category, type and deadline profile, reading each category
// of the batch once, and its registration event.
func (s *Service) settleAll(ctx context.Context, tx bun.Tx, es []*entry) error {
	type read struct {
		f   facts
		err error
	}
	cats := map[string]read{}
	for _, e := range es {
		if e.t == nil {
			continue
		}
		r, ok := cats[e.Input.Category]
		if !ok {
			r.f, r.err = categoryFacts(ctx, tx, e.Input.Category)
			if r.err != nil && !errors.Is(r.err, ErrInvalid) {
				return r.err
			}
			cats[e.Input.Category] = r
		}
		if r.err != nil {
			e.refuse(r.err)
			continue
		}
		if err := s.settle(e, r.f); err != nil {
			e.refuse(err)
		}
	}
	return nil
}

// settle gives e's ticket its category, type and deadline profile from f, and its
// registration event.
func (s *Service) settle(e *entry, f facts) error {
	t := e.t
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
	p := f.profile
	t.ProfileCode, t.Profile = p.Code, &p
	t.FeedbackDue = ptr(t.CreatedAt.Add(time.Duration(p.FeedbackHours) * time.Hour))
	data := map[string]any{"channel": t.Channel, "feedback_due": t.FeedbackDue}
	for k, v := range e.Input.Data {
		data[k] = v
	}
	first, err := s.event(t, e.Actor, ActRegister, StatusNone, "", data)
	if err != nil {
		return err
	}
	e.path, e.events = f.path, []*Event{first}
	return nil
}

// route asks the router about the batch's routed tickets and carries out its verdicts: a
// dispatch is applied to the ticket before it is written, with its event and co-handlers; a
// ticket that stays registered gets the router's held event.
func (s *Service) route(ctx context.Context, tx bun.Tx, es []*entry) error {
	if s.router == nil {
		return nil
	}
	var routed []*entry
	var drafts []*Draft
	for _, e := range es {
		if e.t != nil && !e.Input.Unrouted {
			routed, drafts = append(routed, e), append(drafts, &Draft{Ticket: e.t, CategoryPath: e.path})
		}
	}
	if len(drafts) == 0 {
		return nil
	}
	rs, err := s.router.Route(ctx, tx, drafts)
	if err != nil {
		return err
	}
	if len(rs) != len(drafts) {
		return fmt.Errorf("router gave %d verdicts for %d tickets", len(rs), len(drafts))
	}
	var codes []string
	for _, r := range rs {
		if r.Dispatch != nil {
			codes = append(append(codes, r.Dispatch.Department), r.Dispatch.CoHandlers...)
		}
	}
	depts, err := loadDepartments(ctx, tx, codes)
	if err != nil {
		return err
	}
	profiles := map[string]*org.Profile{}
	for k, r := range rs {
		e := routed[k]
		var failed error
		if r.Dispatch != nil {
			var ev *Event
			ev, e.cos, failed = s.dispatchNew(ctx, tx, e.t, *r.Dispatch, depts, profiles)
			if failed == nil {
				e.events, e.routed = append(e.events, ev), "dispatched"
				continue
			}
			if !errors.Is(failed, ErrInvalid) {
				return failed
			}
		}
		if r.Held != nil {
			if ev := r.Held(failed); ev != nil {
				e.events, e.routed = append(e.events, ev), "held"
			}
		}
	}
	return nil
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
	// A batch's tickets, their events and their co-handling departments in one statement, each
	// ticket's number drawn from the day's sequence (src is materialised, so once per ticket).
	// The number has at least six digits, as %06d writes it.
	insertManySQL = `WITH src AS MATERIALIZED (
		SELECT u.*, nextval($2::text::regclass) AS n
		FROM unnest($3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::text[], $9::text[],
			$10::text[], $11::text[], $12::text[], $13::float8[], $14::float8[], $15::text[], $16::text[], $17::text[], $18::bigint[],
			$19::text[], $20::text[], $21::bigint[], $22::timestamptz[], $23::timestamptz[], $24::timestamptz[], $25::timestamptz[],
			$26::timestamptz[], $27::timestamptz[], $42::bool[], $43::bool[]) WITH ORDINALITY
			AS u(type, channel, status, version, category_id, title, description,
			address, district, street, lat, lon, caller_name, caller_phone, caller_email, department_id,
			priority, profile_code, registered_by, created_at, updated_at, dispatched_at, accept_due,
			feedback_due, resolve_due, confidential, reply_wanted, ord)),
	numbered AS (
		SELECT src.*, $1::text || '-' || lpad(n::text, greatest(6, length(n::text)), '0') AS number FROM src),
	t AS (
		INSERT INTO tickets (number, type, channel, status, version, category_id, title, description,
			address, district, street, lat, lon, caller_name, caller_phone, caller_email, department_id,
			priority, profile_code, registered_by, created_at, updated_at, dispatched_at, accept_due,
			feedback_due, resolve_due, confidential, reply_wanted)
		SELECT number, type, channel, status, version, category_id, title, description,
			address, district, street, lat, lon, caller_name, caller_phone, caller_email, department_id,
			priority, profile_code, registered_by, created_at, updated_at, dispatched_at, accept_due,
			feedback_due, resolve_due, confidential, reply_wanted
		FROM numbered ORDER BY ord
		RETURNING id, number),
	k AS (
		SELECT numbered.ord, t.id, t.number FROM numbered JOIN t USING (number)),
	e AS (
		INSERT INTO ticket_events (ticket_id, kind, actor_id, actor_name, actor_role, department_id, at, public,
			from_status, to_status, body, data)
		SELECT k.id, ev.kind, ev.actor_id, ev.actor_name, ev.actor_role, ev.department_id,
			ev.at, ev.public, ev.from_status, ev.to_status, ev.body, ev.data::jsonb
		FROM unnest($28::int[], $29::text[], $30::bigint[], $31::text[], $32::text[], $33::bigint[], $34::timestamptz[],
			$35::bool[], $36::text[], $37::text[], $38::text[], $39::text[]) WITH ORDINALITY
			AS ev(t, kind, actor_id, actor_name, actor_role, department_id, at, public, from_status, to_status, body, data, i)
		JOIN k ON k.ord = ev.t
		ORDER BY ev.i),
	c AS (
		INSERT INTO ticket_co_departments (ticket_id, department_id)
		SELECT k.id, co.department_id FROM unnest($40::int[], $41::bigint[]) AS co(t, department_id) JOIN k ON k.ord = co.t)
	SELECT ord, id, number FROM k`
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
// moves t to dispatched and returns the dispatch event and the co-handling departments. depts
// holds the departments the batch's dispatches name; profiles remembers those read so far.
func (s *Service) dispatchNew(ctx context.Context, tx bun.Tx, t *Ticket, in DispatchInput, depts map[string]*org.Department, profiles map[string]*org.Profile) (*Event, []*org.Department, error) {
	if _, err := Next(t.Status, ActDispatch, System.Role); err != nil {
		return nil, nil, err
	}
	lead, cos, err := pickTargets(depts, in)
	if err != nil {
		return nil, nil, err
	}
	p := t.Profile
	if in.Profile != "" && in.Profile != p.Code {
		if p = profiles[in.Profile]; p == nil {
			if p, err = profile(ctx, tx, in.Profile); err != nil {
				return nil, nil, err
			}
			profiles[in.Profile] = p
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

// profile reads deadline profile code; an unknown one is a field error.
func profile(ctx context.Context, tx bun.Tx, code string) (*org.Profile, error) {
	p, err := org.NewStore(tx).Profile(ctx, code)
	if errors.Is(err, org.ErrNotFound) {
		return nil, invalid("profile", fmt.Sprintf("unknown deadline profile %q", code))
	}
	return p, err
}

// dispatchTargets reads and checks a dispatch's lead and co-handling departments in one round
// trip: each must exist and still take tickets.
func dispatchTargets(ctx context.Context, tx bun.Tx, in DispatchInput) (*org.Department, []*org.Department, error) {
	depts, err := loadDepartments(ctx, tx, append([]string{in.Department}, in.CoHandlers...))
	if err != nil {
		return nil, nil, err
	}
	return pickTargets(depts, in)
}

// loadDepartments reads the departments of codes by code, in one round trip.
func loadDepartments(ctx context.Context, tx bun.Tx, codes []string) (map[string]*org.Department, error) {
	byCode := map[string]*org.Department{}
	if len(codes) == 0 {
		return byCode, nil
	}
	rows, err := tx.Tx.QueryContext(ctx, departmentsSQL, cached, codes)
	if err != nil {
		return nil, fmt.Errorf("departments: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		d := new(org.Department)
		if err := rows.Scan(&d.ID, &d.Code, &d.NameZh, &d.NameEn, &d.Kind, &d.Active); err != nil {
			return nil, fmt.Errorf("departments: %w", err)
		}
		byCode[d.Code] = d
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("departments: %w", err)
	}
	return byCode, nil
}

// pickTargets checks a dispatch against the departments read: the lead and each co-handler
// must exist and still take tickets.
func pickTargets(byCode map[string]*org.Department, in DispatchInput) (*org.Department, []*org.Department, error) {
	if in.Priority != "" && in.Priority != "normal" && in.Priority != "urgent" {
		return nil, nil, invalid("priority", "must be normal or urgent")
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

// insertMany writes the batch's new tickets (refused ones skipped), their events and their
// co-handling departments in one statement, and gives each ticket its id and number.
func (s *Service) insertMany(ctx context.Context, tx bun.Tx, day string, es []*entry) error {
	var c columns
	var written []*entry
	for _, e := range es {
		if e.t == nil {
			continue
		}
		written = append(written, e)
		c.ticket(e.t)
		for _, ev := range e.events {
			c.event(len(written), ev)
		}
		for _, d := range e.cos {
			c.coT, c.coDept = append(c.coT, len(written)), append(c.coDept, d.ID)
		}
	}
	if len(written) == 0 {
		return nil
	}
	rows, err := tx.Tx.QueryContext(ctx, insertManySQL, cached, day, seqName(day),
		c.typ, c.channel, c.status, c.version, c.category, c.title, c.description,
		c.address, c.district, c.street, c.lat, c.lon, c.callerName, c.callerPhone, c.callerEmail, c.department,
		c.priority, c.profile, c.registeredBy, c.createdAt, c.updatedAt, c.dispatchedAt, c.acceptDue,
		c.feedbackDue, c.resolveDue,
		c.evT, c.kind, c.actor, c.actorName, c.actorRole, c.evDept, c.at, c.public, c.from, c.to, c.body, c.data,
		c.coT, c.coDept, c.confidential, c.replyWanted)
	if err != nil {
		return fmt.Errorf("insert tickets: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ord int
		var id int64
		var number string
		if err := rows.Scan(&ord, &id, &number); err != nil {
			return fmt.Errorf("insert tickets: %w", err)
		}
		if ord < 1 || ord > len(written) {
			return fmt.Errorf("insert tickets: ordinal %d of %d", ord, len(written))
		}
		t := written[ord-1].t
		t.ID, t.Number = id, number
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("insert tickets: %w", err)
	}
	for i, e := range written {
		if e.t.ID == 0 {
			return fmt.Errorf("insert tickets: no id for ticket %d", i+1)
		}
		for _, ev := range e.events {
			ev.TicketID = e.t.ID
		}
	}
	return nil
}

// columns are a batch's rows as one array per column, as insertManySQL takes them; events and
// co-handlers name their ticket by its ordinal in the batch, from 1.
type columns struct {
	typ, channel, status, title, description, address, district, street []string
	callerName, callerPhone, callerEmail, priority, profile             []string
	version                                                             []int
	category, department, registeredBy                                  []*int64
	lat, lon                                                            []*float64
	createdAt, updatedAt                                                []time.Time
	dispatchedAt, acceptDue, feedbackDue, resolveDue                    []*time.Time

	evT                                  []int
	kind, actorName, actorRole, from, to []string
	body, data                           []string
	actor, evDept                        []*int64
	at                                   []time.Time
	public                               []bool
	confidential, replyWanted            []bool
	coT                                  []int
	coDept                               []int64
}

func (c *columns) ticket(t *Ticket) {
	c.typ, c.channel, c.status = append(c.typ, t.Type), append(c.channel, t.Channel), append(c.status, string(t.Status))
	c.version, c.category = append(c.version, t.Version), append(c.category, t.CategoryID)
	c.title, c.description = append(c.title, t.Title), append(c.description, t.Description)
	c.address, c.district, c.street = append(c.address, t.Address), append(c.district, t.District), append(c.street, t.Street)
	c.lat, c.lon = append(c.lat, t.Lat), append(c.lon, t.Lon)
	c.callerName, c.callerPhone, c.callerEmail = append(c.callerName, t.CallerName), append(c.callerPhone, t.CallerPhone), append(c.callerEmail, t.CallerEmail)
	c.department, c.priority, c.profile = append(c.department, t.DepartmentID), append(c.priority, t.Priority), append(c.profile, t.ProfileCode)
	c.registeredBy = append(c.registeredBy, t.RegisteredBy)
	c.confidential, c.replyWanted = append(c.confidential, t.Confidential), append(c.replyWanted, t.ReplyWanted)
	c.createdAt, c.updatedAt = append(c.createdAt, t.CreatedAt), append(c.updatedAt, t.UpdatedAt)
	c.dispatchedAt, c.acceptDue = append(c.dispatchedAt, t.DispatchedAt), append(c.acceptDue, t.AcceptDue)
	c.feedbackDue, c.resolveDue = append(c.feedbackDue, t.FeedbackDue), append(c.resolveDue, t.ResolveDue)
}

func (c *columns) event(ord int, ev *Event) {
	data := "{}"
	if len(ev.Data) > 0 {
		data = string(ev.Data)
	}
	c.evT, c.kind, c.actor = append(c.evT, ord), append(c.kind, ev.Kind), append(c.actor, ev.ActorID)
	c.actorName, c.actorRole, c.evDept = append(c.actorName, ev.ActorName), append(c.actorRole, ev.ActorRole), append(c.evDept, ev.DepartmentID)
	c.at, c.public = append(c.at, ev.At), append(c.public, ev.Public)
	c.from, c.to, c.body, c.data = append(c.from, ev.FromStatus), append(c.to, ev.ToStatus), append(c.body, ev.Body), append(c.data, data)
}
