package tickets

import (
	"encoding/json"
	"regexp"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
)

// Ticket types (诉求类型).
var Types = []string{"consultation", "help", "complaint", "report", "suggestion", "praise"}

// Channels a ticket can arrive through.
var Channels = []string{"phone", "web", "open311", "app", "walk-in", "letter"}

// Ticket is a work order (工单).
type Ticket struct {
	bun.BaseModel `bun:"table:tickets,alias:t"`

	ID           int64    `bun:"id,pk,autoincrement" json:"-"`
	Number       string   `bun:"number" json:"number"`
	Type         string   `bun:"type" json:"type"`
	Channel      string   `bun:"channel" json:"channel"`
	Status       Status   `bun:"status" json:"status"`
	Version      int      `bun:"version" json:"version"`
	CategoryID   *int64   `bun:"category_id" json:"-"`
	Title        string   `bun:"title" json:"title"`
	Description  string   `bun:"description" json:"description"`
	Address      string   `bun:"address" json:"address"`
	District     string   `bun:"district" json:"district"`
	Street       string   `bun:"street" json:"street"`
	Lat          *float64 `bun:"lat" json:"lat,omitempty"`
	Lon          *float64 `bun:"lon" json:"lon,omitempty"`
	CallerName   string   `bun:"caller_name" json:"caller_name"`
	CallerPhone  string   `bun:"caller_phone" json:"caller_phone"`
	CallerEmail  string   `bun:"caller_email" json:"caller_email"`
	DepartmentID *int64   `bun:"department_id" json:"-"`
	Priority     string   `bun:"priority" json:"priority"`
	ProfileCode  string   `bun:"profile_code" json:"profile"`
	MasterID     *int64   `bun:"master_id" json:"-"`
	RegisteredBy *int64   `bun:"registered_by" json:"-"`
	Resolution   string   `bun:"resolution" json:"resolution"`
	// ResultType is how 办结 ended (ResultTypes): what evaluation counts.
	ResultType string `bun:"result_type" json:"result_type"`
	// ContactMethod is how the department reached the citizen for its result (ContactMethods).
	ContactMethod string `bun:"contact_method" json:"contact_method,omitempty"`
	ReopenCount   int    `bun:"reopen_count" json:"reopen_count"`
	// Confidential (保密): the departments never see the citizen's contact details. ReplyWanted
	// (是否需回复): the citizen asked to hear back.
	Confidential bool `bun:"confidential" json:"confidential"`
	ReplyWanted  bool `bun:"reply_wanted" json:"reply_wanted"`

	CreatedAt    time.Time  `bun:"created_at" json:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at" json:"updated_at"`
	DispatchedAt *time.Time `bun:"dispatched_at" json:"dispatched_at,omitempty"`
	AcceptedAt   *time.Time `bun:"accepted_at" json:"accepted_at,omitempty"`
	FeedbackAt   *time.Time `bun:"feedback_at" json:"feedback_at,omitempty"`
	ResolvedAt   *time.Time `bun:"resolved_at" json:"resolved_at,omitempty"`
	ClosedAt     *time.Time `bun:"closed_at" json:"closed_at,omitempty"`
	AcceptDue    *time.Time `bun:"accept_due" json:"accept_due,omitempty"`
	FeedbackDue  *time.Time `bun:"feedback_due" json:"feedback_due,omitempty"`
	ResolveDue   *time.Time `bun:"resolve_due" json:"resolve_due,omitempty"`
	CallbackDue  *time.Time `bun:"callback_due" json:"callback_due,omitempty"`
	// VisitedAt is when the return visit (回访) of the current resolution was done: the
	// citizen's own rating or a visit record (Visit). Reopening clears it.
	VisitedAt *time.Time `bun:"visited_at" json:"visited_at,omitempty"`

	Department *org.Department `bun:"rel:belongs-to,join:department_id=id" json:"department,omitempty"`
	Category   *org.Category   `bun:"rel:belongs-to,join:category_id=id" json:"category,omitempty"`
	Profile    *org.Profile    `bun:"rel:belongs-to,join:profile_code=code" json:"-"`
	CoHandlers []CoHandler     `bun:"rel:has-many,join:id=ticket_id" json:"co_handlers,omitempty"`
}

// CoHandler is a co-handling department (协办) of a ticket.
type CoHandler struct {
	bun.BaseModel `bun:"table:ticket_co_departments,alias:co"`

	TicketID     int64           `bun:"ticket_id,pk" json:"-"`
	DepartmentID int64           `bun:"department_id,pk" json:"-"`
	Reply        string          `bun:"reply" json:"reply"`
	RepliedAt    *time.Time      `bun:"replied_at" json:"replied_at,omitempty"`
	Department   *org.Department `bun:"rel:belongs-to,join:department_id=id" json:"department,omitempty"`
}

// Merged reports whether the ticket is merged into another (并单) and follows it.
func (t *Ticket) Merged() bool { return t.MasterID != nil }

// Open reports whether the ticket still needs work: everything but closed.
func (t *Ticket) Open() bool { return t.Status != StatusClosed }

// Event is one entry of a ticket's timeline. Events are never changed or deleted.
type Event struct {
	bun.BaseModel `bun:"table:ticket_events,alias:e"`

	ID           int64           `bun:"id,pk,autoincrement" json:"id"`
	TicketID     int64           `bun:"ticket_id" json:"-"`
	Kind         string          `bun:"kind" json:"kind"`
	ActorID      *int64          `bun:"actor_id" json:"-"`
	ActorName    string          `bun:"actor_name" json:"actor"`
	ActorRole    string          `bun:"actor_role" json:"actor_role"`
	DepartmentID *int64          `bun:"department_id" json:"-"`
	At           time.Time       `bun:"at" json:"at"`
	Public       bool            `bun:"public" json:"public"`
	FromStatus   string          `bun:"from_status" json:"from_status,omitempty"`
	ToStatus     string          `bun:"to_status" json:"to_status,omitempty"`
	Body         string          `bun:"body" json:"body"`
	Data         json.RawMessage `bun:"data,type:jsonb" json:"data,omitempty"`

	Department *org.Department `bun:"rel:belongs-to,join:department_id=id" json:"department,omitempty"`
}

// Actor is who takes an action.
type Actor struct {
	ID           int64 // staff id; 0 for citizens and the system
	Name         string
	Role         org.Role
	DepartmentID int64
}

// System is the actor for what the system does by itself (routing, sweeps).
var System = Actor{Name: "system", Role: org.RoleSystem}

// Citizen is the actor for a citizen acting online.
func Citizen(name string) Actor {
	if name == "" {
		name = "citizen"
	}
	return Actor{Name: name, Role: org.RoleCitizen}
}

// ActorFor is the actor of a staff account.
func ActorFor(s *org.Staff) Actor {
	return Actor{ID: s.ID, Name: s.DisplayName, Role: s.Role, DepartmentID: s.DepartmentID}
}

func (a Actor) idPtr() *int64 {
	if a.ID == 0 {
		return nil
	}
	return &a.ID
}

func (a Actor) deptPtr() *int64 {
	if a.DepartmentID == 0 {
		return nil
	}
	return &a.DepartmentID
}

// cityWide reports whether the actor sees every department's tickets: city-wide staff and the
// system itself.
func cityWide(r org.Role) bool { return org.CityWide.Has(r) || r == org.RoleSystem }

// MaskPhone masks a phone number for roles that do not need it: 13800138000 → 138****8000.
func MaskPhone(p string) string {
	r := []rune(p)
	if len(r) < 7 {
		if len(r) == 0 {
			return ""
		}
		return "****"
	}
	return string(r[:3]) + "****" + string(r[len(r)-4:])
}

// numberForm is the form of a ticket number: the day it was registered (YYYYMMDD), a dash and
// its sequence of at least six digits.
var numberForm = regexp.MustCompile(`^[0-9]{8}-[0-9]{6,12}$`)

// ValidNumber says whether s has the form of a ticket number (not whether the ticket exists).
func ValidNumber(s string) bool { return numberForm.MatchString(s) }
