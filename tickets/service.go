package tickets

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hotline-city/hotline/internal/database"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
)

// Calendar is the working-day arithmetic deadlines need (package workcal provides it).
type Calendar interface {
	AddWorkdays(t time.Time, n int) time.Time
	AddWorkingHours(t time.Time, d time.Duration) time.Time
}

// Service carries out every action on tickets. Each method writes the ticket's change and its
// timeline event in one transaction, and refuses when the ticket changed since it was read.
type Service struct {
	db     *bun.DB
	clock  clock.Clock
	cal    Calendar
	loc    *time.Location
	log    *slog.Logger
	seqMu  sync.Mutex
	seqDay map[string]bool // days whose number sequence is known to exist
	router Router
	// followers act on what each action did, in its transaction (Follow).
	followers []Follower
	// places is the gazetteer that places tickets by their address (gazetteer.go).
	places gazetteer
}

// A Follower keeps what another domain holds about a ticket in step with the ticket: it is
// told of every action taken on a ticket, inside the action's transaction, so the action and
// what follows from it stand or fall together.
type Follower interface {
	Follow(ctx context.Context, tx bun.Tx, t *Ticket, a Action) error
}

// A RegisterFollower is a Follower also told of the tickets a registration wrote, with what
// was registered (a receipt to the citizen, say), inside the registering transaction.
type RegisterFollower interface {
	FollowRegistered(ctx context.Context, tx bun.Tx, ts []*Ticket, ins []RegisterInput) error
}

// Follow adds f to the followers of every action. serve wires them before it serves.
func (s *Service) Follow(f Follower) { s.followers = append(s.followers, f) }

// followRegistered tells the followers that care of the tickets a registration batch wrote.
func (s *Service) followRegistered(ctx context.Context, tx bun.Tx, es []*entry) error {
	var ts []*Ticket
	var ins []RegisterInput
	for _, e := range es {
		if e.t != nil && e.err == nil {
			ts, ins = append(ts, e.t), append(ins, e.Input)
		}
	}
	if len(ts) == 0 {
		return nil
	}
	for _, f := range s.followers {
		if rf, ok := f.(RegisterFollower); ok {
			if err := rf.FollowRegistered(ctx, tx, ts, ins); err != nil {
				return fmt.Errorf("follow registration: %w", err)
			}
		}
	}
	return nil
}

// Route makes r decide where every new ticket goes, inside the transaction that registers it,
// so a ticket is never left un-routed by a crash between. Call it while wiring, before the
// service is used.
func (s *Service) Route(r Router) { s.router = r }

// NewService wires the service.
func NewService(db *bun.DB, clk clock.Clock, cal Calendar, loc *time.Location, log *slog.Logger) *Service {
	return &Service{db: db, clock: clk, cal: cal, loc: loc, log: log, seqDay: map[string]bool{}}
}

// DB is the pool, for domains that extend a ticket transaction with their own rows.
func (s *Service) DB() *bun.DB { return s.db }

// FieldError is an invalid input, naming the field.
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }
func (e *FieldError) Unwrap() error { return ErrInvalid }

func invalid(field, msg string) error { return &FieldError{Field: field, Msg: msg} }

// MaxDescription is the longest description in characters.
const MaxDescription = 10000

// RegisterInput is a new contact to register as a ticket (受理).
type RegisterInput struct {
	Type        string // empty: the category's default type
	Channel     string
	Category    string // category code
	Title       string
	Description string
	Address     string
	District    string
	Street      string
	Lat, Lon    *float64
	CallerName  string
	CallerPhone string
	CallerEmail string
	Priority    string // empty: normal
	// Confidential (保密) keeps the citizen's contact details from the departments; NoReply says
	// the citizen wants no reply (是否需回复: no).
	Confidential bool
	NoReply      bool
	Data         map[string]any
	// Unrouted keeps the router out: the caller's hook settles the ticket itself (an agent who
	// answers it at once or dispatches it by hand).
	Unrouted bool
}

func seqName(day string) string { return "ticket_no_" + day }

// ensureSequence creates the day's number sequence once. Sequences never hand out a number
// twice, even when the creating transaction rolls back, and do not serialise writers the way
// a counter row would; the price is an occasional gap, which a ticket number may have.
func (s *Service) ensureSequence(ctx context.Context, day string) error {
	s.seqMu.Lock()
	defer s.seqMu.Unlock()
	if s.seqDay[day] {
		return nil
	}
	for attempt := 0; ; attempt++ {
		_, err := s.db.ExecContext(ctx, "SELECT ticket_number_sequence(?)", seqName(day))
		// Two processes creating the same sequence at once: one wins, the other retries and sees it.
		if _, dup := database.UniqueViolation(err); dup && attempt < 3 {
			continue
		}
		if err != nil {
			return fmt.Errorf("ticket number sequence: %w", err)
		}
		break
	}
	if len(s.seqDay) > 8 {
		clear(s.seqDay)
	}
	s.seqDay[day] = true
	return nil
}

// ActInput carries the common parts of an action on an existing ticket.
type ActInput struct {
	Version int    // the version the actor saw; 0 skips the check against what they saw
	Text    string // the note, reason, feedback or result
	// ResultType is a resolution's type (ResultTypes); other actions leave it empty.
	ResultType string
	// ContactMethod is how a resolution's department reached the citizen (ContactMethods);
	// empty when not said.
	ContactMethod string
	Data          map[string]any
	// Files are sent with a resolve or a feedback (Attachable): stored with the action, in
	// its transaction, and named in its event.
	Files []File
}

// DispatchInput says where a ticket goes (派单).
type DispatchInput struct {
	ActInput
	Department   string   // lead department code (主办)
	CoHandlers   []string // co-handling department codes (协办)
	Profile      string   // deadline profile code; empty keeps the ticket's
	Priority     string   // empty keeps the ticket's
	RuleID       int64    // the routing rule that chose the department, 0 for a person
	RuleVersion  int
	DecisionNote string
}

// Dispatch sends a registered or returned ticket to its lead department and sets its
// acceptance and resolution deadlines.
func (s *Service) Dispatch(ctx context.Context, actor Actor, number string, in DispatchInput) (*Ticket, error) {
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) (*Ticket, error) { return s.DispatchTx(ctx, tx, actor, number, in) })
}

// DispatchTx is Dispatch inside the caller's transaction.
func (s *Service) DispatchTx(ctx context.Context, tx bun.Tx, actor Actor, number string, in DispatchInput) (*Ticket, error) {
	lead, cos, err := dispatchTargets(ctx, tx, in)
	if err != nil {
		return nil, fmt.Errorf("dispatch %s: %w", number, err)
	}
	return s.actTx(ctx, tx, actor, number, ActDispatch, in.ActInput, func(t *Ticket, ev map[string]any) error {
		code := t.ProfileCode
		if in.Profile != "" {
			code = in.Profile
		}
		p := t.Profile
		if p == nil || p.Code != code {
			var err error
			if p, err = profile(ctx, tx, code); err != nil {
				return err
			}
		}
		// Co-handlers exist only after a dispatch, so a first dispatch has none to reset.
		if t.DispatchedAt != nil {
			if _, err := tx.NewDelete().Model((*CoHandler)(nil)).Where("ticket_id = ?", t.ID).Exec(ctx); err != nil {
				return fmt.Errorf("reset co-handlers: %w", err)
			}
		}
		for _, d := range cos {
			if _, err := tx.NewInsert().Model(&CoHandler{TicketID: t.ID, DepartmentID: d.ID}).Exec(ctx); err != nil {
				return fmt.Errorf("add co-handler: %w", err)
			}
		}
		s.setDispatch(t, p, lead, cos, in, ev)
		return nil
	})
}

// Accept signs for a ticket (签收).
func (s *Service) Accept(ctx context.Context, actor Actor, number string, in ActInput) (*Ticket, error) {
	return s.act(ctx, actor, number, ActAccept, in, func(t *Ticket, _ map[string]any) error {
		t.AcceptedAt = ptr(s.clock.Now())
		return nil
	})
}

// Return sends a ticket back to the centre with a reason (退单); the centre reviews it.
func (s *Service) Return(ctx context.Context, actor Actor, number string, in ActInput) (*Ticket, error) {
	if strings.TrimSpace(in.Text) == "" {
		return nil, invalid("text", "a return needs a reason")
	}
	return s.act(ctx, actor, number, ActReturn, in, func(t *Ticket, ev map[string]any) error {
		if t.DepartmentID != nil {
			ev["returned_by_department"] = *t.DepartmentID
		}
		t.AcceptDue, t.AcceptedAt = nil, nil
		return nil
	})
}

// Feedback records that the department contacted the citizen, and what was said (反馈).
func (s *Service) Feedback(ctx context.Context, actor Actor, number string, in ActInput) (*Ticket, error) {
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) (*Ticket, error) { return s.FeedbackTx(ctx, tx, actor, number, in) })
}

// FeedbackTx is Feedback inside the caller's transaction, for feedback with attachments.
func (s *Service) FeedbackTx(ctx context.Context, tx bun.Tx, actor Actor, number string, in ActInput) (*Ticket, error) {
	if strings.TrimSpace(in.Text) == "" {
		return nil, invalid("text", "say what the citizen was told")
	}
	return s.actTx(ctx, tx, actor, number, ActFeedback, in, func(t *Ticket, ev map[string]any) error {
		if t.FeedbackAt == nil {
			t.FeedbackAt = ptr(s.clock.Now())
			ev["first"] = true
		}
		return nil
	})
}

// Note adds an internal note, seen only by staff.
func (s *Service) Note(ctx context.Context, actor Actor, number string, in ActInput) (*Ticket, error) {
	if strings.TrimSpace(in.Text) == "" {
		return nil, invalid("text", "a note needs text")
	}
	return s.act(ctx, actor, number, ActNote, in, nil)
}

// CoReply records a co-handling department's reply (协办意见).
func (s *Service) CoReply(ctx context.Context, actor Actor, number string, in ActInput) (*Ticket, error) {
	if strings.TrimSpace(in.Text) == "" {
		return nil, invalid("text", "a reply needs text")
	}
	var t *Ticket
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		t, err = s.actTx(ctx, tx, actor, number, ActCoReply, in, func(t *Ticket, _ map[string]any) error {
			res, err := tx.NewUpdate().Model((*CoHandler)(nil)).
				Set("reply = ?, replied_at = ?", in.Text, s.clock.Now()).
				Where("ticket_id = ? AND department_id = ?", t.ID, actor.DepartmentID).Exec(ctx)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 {
				return fmt.Errorf("your department is not a co-handler of %s: %w", number, ErrForbidden)
			}
			return nil
		})
		return err
	})
	return t, err
}

// ResultTypes are how a resolution ended: 已解决, 部分解决, 未解决, 不属实, 已告知政策.
var ResultTypes = []string{"solved", "partly", "unsolved", "untrue", "informed"}

// ContactMethods are how a department reached the citizen for its result: 电话, 上门, 短信,
// 网上, 信函, 未联系.
var ContactMethods = []string{"phone", "visit", "sms", "online", "letter", "none"}

// Resolve reports the result (办结) with its type (in.ResultType, "solved" when empty); the
// return visit is due after it.
func (s *Service) Resolve(ctx context.Context, actor Actor, number string, in ActInput) (*Ticket, error) {
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) (*Ticket, error) { return s.ResolveTx(ctx, tx, actor, number, in) })
}

// ResolveTx is Resolve inside the caller's transaction, so what the department attaches to its
// result is stored in the transaction that records the result and its event.
func (s *Service) ResolveTx(ctx context.Context, tx bun.Tx, actor Actor, number string, in ActInput) (*Ticket, error) {
	if strings.TrimSpace(in.Text) == "" {
		return nil, invalid("text", "say how it was resolved")
	}
	if in.ResultType == "" {
		in.ResultType = "solved"
	}
	if !slices.Contains(ResultTypes, in.ResultType) {
		return nil, invalid("result_type", "must be solved, partly, unsolved, untrue or informed")
	}
	if in.ContactMethod != "" && !slices.Contains(ContactMethods, in.ContactMethod) {
		return nil, invalid("contact_method", "must be phone, visit, sms, online, letter or none")
	}
	return s.actTx(ctx, tx, actor, number, ActResolve, in, func(t *Ticket, ev map[string]any) error {
		now := s.clock.Now()
		p := t.Profile
		if p == nil {
			return fmt.Errorf("deadline profile %q missing", t.ProfileCode)
		}
		t.ResolvedAt, t.Resolution, t.ResultType, t.ContactMethod = &now, in.Text, in.ResultType, in.ContactMethod
		t.CallbackDue = ptr(s.cal.AddWorkdays(now, p.CallbackWorkdays))
		ev["callback_due"], ev["result_type"] = t.CallbackDue, in.ResultType
		if in.ContactMethod != "" {
			ev["contact_method"] = in.ContactMethod
		}
		return nil
	})
}

// inTx runs one Tx variant of an action in a transaction of its own.
func (s *Service) inTx(ctx context.Context, fn func(context.Context, bun.Tx) (*Ticket, error)) (*Ticket, error) {
	var t *Ticket
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		var err error
		t, err = fn(ctx, tx)
		return err
	})
	return t, err
}

// Close closes a resolved ticket (结案), after the return visit.
func (s *Service) Close(ctx context.Context, actor Actor, number string, in ActInput) (*Ticket, error) {
	return s.act(ctx, actor, number, ActClose, in, func(t *Ticket, _ map[string]any) error {
		t.ClosedAt = ptr(s.clock.Now())
		return nil
	})
}

// Reopen sends a resolved or closed ticket back to its department (重办), with fresh deadlines.
func (s *Service) Reopen(ctx context.Context, actor Actor, number string, in ActInput) (*Ticket, error) {
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) (*Ticket, error) { return s.ReopenTx(ctx, tx, actor, number, in) })
}

// ReopenTx is Reopen inside the caller's transaction.
func (s *Service) ReopenTx(ctx context.Context, tx bun.Tx, actor Actor, number string, in ActInput) (*Ticket, error) {
	if strings.TrimSpace(in.Text) == "" {
		return nil, invalid("text", "a reopening needs a reason")
	}
	return s.actTx(ctx, tx, actor, number, ActReopen, in, func(t *Ticket, ev map[string]any) error {
		if t.DepartmentID == nil {
			return fmt.Errorf("ticket %s was never dispatched: %w", number, ErrTransition)
		}
		p := t.Profile
		if p == nil {
			return fmt.Errorf("deadline profile %q missing", t.ProfileCode)
		}
		now := s.clock.Now()
		t.ReopenCount++
		t.DispatchedAt = &now
		t.AcceptedAt, t.ResolvedAt, t.ClosedAt, t.FeedbackAt, t.CallbackDue, t.VisitedAt = nil, nil, nil, nil, nil, nil
		t.AcceptDue = ptr(s.cal.AddWorkingHours(now, time.Duration(p.AcceptHours)*time.Hour))
		t.FeedbackDue = ptr(now.Add(time.Duration(p.FeedbackHours) * time.Hour))
		t.ResolveDue = ptr(s.cal.AddWorkdays(now, p.ResolveWorkdays))
		ev["reopen_count"] = t.ReopenCount
		ev["accept_due"], ev["feedback_due"], ev["resolve_due"] = t.AcceptDue, t.FeedbackDue, t.ResolveDue
		return nil
	})
}

// VisitTx records that the return visit (回访) of the ticket's current resolution was done, in
// the caller's transaction: it sets VisitedAt, which stops the visit clock, and writes a
// "visit" event with how it was done (data: channel, and what the visit found). The citizen's
// rating on /track takes it, and so can a return-visit record: one marker for both. A second
// visit of the same resolution keeps the first time.
func (s *Service) VisitTx(ctx context.Context, tx bun.Tx, actor Actor, number string, in ActInput) (*Ticket, error) {
	return s.actTx(ctx, tx, actor, number, ActVisit, in, func(t *Ticket, ev map[string]any) error {
		if t.VisitedAt == nil {
			t.VisitedAt = ptr(s.clock.Now())
			ev["first"] = true
		}
		return nil
	})
}

// Answer closes a consultation at once with the agent's answer (直接答复).
func (s *Service) Answer(ctx context.Context, actor Actor, number string, in ActInput) (*Ticket, error) {
	if strings.TrimSpace(in.Text) == "" {
		return nil, invalid("text", "an answer needs text")
	}
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) (*Ticket, error) { return s.AnswerTx(ctx, tx, actor, number, in) })
}

// AnswerTx is Answer inside the caller's transaction, so a consultation can be registered and
// answered at once (from RegisterTx's hook) and is never seen unanswered.
func (s *Service) AnswerTx(ctx context.Context, tx bun.Tx, actor Actor, number string, in ActInput) (*Ticket, error) {
	if strings.TrimSpace(in.Text) == "" {
		return nil, invalid("text", "an answer needs text")
	}
	return s.actTx(ctx, tx, actor, number, ActAnswer, in, func(t *Ticket, _ map[string]any) error {
		now := s.clock.Now()
		t.Resolution, t.ResolvedAt, t.ClosedAt = in.Text, &now, &now
		return nil
	})
}

func (s *Service) act(ctx context.Context, actor Actor, number string, a Action, in ActInput, apply func(*Ticket, map[string]any) error) (*Ticket, error) {
	return s.inTx(ctx, func(ctx context.Context, tx bun.Tx) (*Ticket, error) {
		return s.actTx(ctx, tx, actor, number, a, in, apply)
	})
}

// actTx runs one action: read, check the machine and the actor's scope, apply, write with the
// version check, and append the event.
func (s *Service) actTx(ctx context.Context, tx bun.Tx, actor Actor, number string, a Action, in ActInput, apply func(*Ticket, map[string]any) error) (*Ticket, error) {
	files, err := checkFiles(a, in.Files)
	if err != nil {
		return nil, err
	}
	t := new(Ticket)
	if err := tx.NewSelect().Model(t).Relation("Profile").Where("t.number = ?", number).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, fmt.Errorf("%s %s: %w", a, number, ErrNotFound)
		}
		return nil, fmt.Errorf("%s %s: %w", a, number, err)
	}
	if in.Version != 0 && in.Version != t.Version {
		return nil, fmt.Errorf("%s %s: you saw version %d, it is now %d: %w", a, number, in.Version, t.Version, ErrConflict)
	}
	if err := s.inScope(ctx, tx, actor, t, a); err != nil {
		return nil, err
	}
	if t.Merged() && a != ActNote {
		// A merged ticket (并单) is handled as part of its master: it takes no action of its own
		// until the centre unmerges it.
		return nil, fmt.Errorf("%s %s: the ticket is merged into another and follows it: %w", a, number, ErrMerged)
	}
	from := t.Status
	to, err := Next(from, a, actor.Role)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", a, number, err)
	}
	data := map[string]any{}
	for k, v := range in.Data {
		data[k] = v
	}
	if apply != nil {
		if err := apply(t, data); err != nil {
			return nil, fmt.Errorf("%s %s: %w", a, number, err)
		}
	}
	seen := t.Version
	t.Status, t.Version, t.UpdatedAt = to, t.Version+1, s.clock.Now()
	res, err := tx.NewUpdate().Model(t).
		ExcludeColumn("id", "number", "created_at", "registered_by").
		Where("id = ? AND version = ?", t.ID, seen).Exec(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", a, number, err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, fmt.Errorf("%s %s: %w", a, number, ErrConflict)
	}
	fileIDs, fileList, err := s.storeFiles(ctx, tx, t, actor, a, files)
	if err != nil {
		return nil, err
	}
	if len(fileList) > 0 {
		data["attachments"] = fileList
	}
	ev, err := s.event(t, actor, a, from, in.Text, data)
	if err != nil {
		return nil, err
	}
	if err := AppendEvent(ctx, tx, ev); err != nil {
		return nil, err
	}
	if err := linkFiles(ctx, tx, t, ev, fileIDs); err != nil {
		return nil, err
	}
	if err := s.followMaster(ctx, tx, t); err != nil { // merged tickets (并单) follow their master
		return nil, err
	}
	for _, f := range s.followers {
		if err := f.Follow(ctx, tx, t, a); err != nil {
			return nil, fmt.Errorf("%s %s: %w", a, number, err)
		}
	}
	return t, nil
}

// inScope keeps department staff to their own department's tickets: the lead department may
// do everything its role allows; a co-handling department only reply and note.
func (s *Service) inScope(ctx context.Context, db bun.IDB, actor Actor, t *Ticket, a Action) error {
	if cityWide(actor.Role) || actor.Role == org.RoleCitizen {
		return nil
	}
	if t.DepartmentID != nil && *t.DepartmentID == actor.DepartmentID && a != ActCoReply {
		return nil
	}
	if a == ActCoReply || a == ActNote {
		ok, err := db.NewSelect().Model((*CoHandler)(nil)).
			Where("ticket_id = ? AND department_id = ?", t.ID, actor.DepartmentID).Exists(ctx)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
	}
	return fmt.Errorf("%s %s: ticket belongs to another department: %w", a, t.Number, ErrForbidden)
}

// AppendEvent writes one timeline event. Other domains call it inside their own transaction so
// that what they do to a ticket (an escalation, a rating, a transfer) is on its timeline.
func AppendEvent(ctx context.Context, db bun.IDB, ev *Event) error {
	if len(ev.Data) == 0 {
		ev.Data = json.RawMessage("{}")
	}
	if _, err := db.NewInsert().Model(ev).Returning("id").Exec(ctx); err != nil {
		return fmt.Errorf("append %s event: %w", ev.Kind, err)
	}
	return nil
}

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if v == s {
			return true
		}
	}
	return false
}

func ptr[T any](v T) *T { return &v }
