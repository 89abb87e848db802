package escalation

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/tickets"
)

// The citizen hears from the centre by SMS at each step of the loop: a receipt with the
// ticket's number and the tracking link when it is registered (受理回执), and a signed rating
// link when it is resolved. Both are outbox rows written in the transaction of the step, one
// per ticket and resolution (a dedup key), from templates administrators edit. A report
// (举报) and a ticket registered as confidential (保密) get no SMS unless the citizen agreed to
// it when registering (the registration's data "sms_consent": true).

// SMS template kinds.
const (
	SMSReceipt = "receipt"
	SMSRating  = "rating"
)

// SMSKinds lists the templates.
var SMSKinds = []string{SMSReceipt, SMSRating}

// SMSTemplate is the text of one kind of SMS to citizens.
type SMSTemplate struct {
	bun.BaseModel `bun:"table:sms_templates,alias:st"`

	Kind      string     `bun:"kind,pk" json:"kind"`
	Body      string     `bun:"body" json:"body"`
	UpdatedAt *time.Time `bun:"updated_at" json:"updated_at,omitempty"`
	UpdatedBy string     `bun:"updated_by" json:"updated_by,omitempty"`
}

var placeholder = regexp.MustCompile(`\{[^{}]*\}`)

// smsPlaceholders are the placeholders each template may use, and must use.
var smsPlaceholders = map[string]struct{ allowed, required []string }{
	SMSReceipt: {[]string{"{number}", "{link}"}, []string{"{number}"}},
	SMSRating:  {[]string{"{number}", "{link}", "{days}"}, []string{"{link}"}},
}

// SMSPlaceholders are the placeholders a template of kind may use, and those it must.
func SMSPlaceholders(kind string) (allowed, required []string) {
	p := smsPlaceholders[kind]
	return p.allowed, p.required
}

// CheckSMSTemplate refuses a text that would send citizens something broken: an unknown
// placeholder, a missing one the SMS needs, or a text too long for a few SMS.
func CheckSMSTemplate(kind, body string) error {
	p, ok := smsPlaceholders[kind]
	if !ok {
		return &tickets.FieldError{Field: "kind", Msg: "must be receipt or rating"}
	}
	body = strings.TrimSpace(body)
	if body == "" || utf8.RuneCountInString(body) > 300 {
		return &tickets.FieldError{Field: "body", Msg: "from 1 to 300 characters"}
	}
	for _, ph := range placeholder.FindAllString(body, -1) {
		if !contains(p.allowed, ph) {
			return &tickets.FieldError{Field: "body", Msg: fmt.Sprintf("unknown placeholder %s: use %s", ph, strings.Join(p.allowed, " "))}
		}
	}
	if strings.ContainsAny(placeholder.ReplaceAllString(body, ""), "{}") {
		return &tickets.FieldError{Field: "body", Msg: "an unclosed { or } : placeholders are written {number}"}
	}
	for _, ph := range p.required {
		if !strings.Contains(body, ph) {
			return &tickets.FieldError{Field: "body", Msg: fmt.Sprintf("must contain %s", ph)}
		}
	}
	return nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// SMSTemplates lists the templates.
func (s *Service) SMSTemplates(ctx context.Context) ([]SMSTemplate, error) {
	var out []SMSTemplate
	if err := s.db.NewSelect().Model(&out).Order("kind").Scan(ctx); err != nil {
		return nil, wrap("sms templates", err)
	}
	return out, nil
}

// SetSMSTemplate replaces a template's text after checking it.
func (s *Service) SetSMSTemplate(ctx context.Context, actor tickets.Actor, kind, body string) (*SMSTemplate, error) {
	if err := CheckSMSTemplate(kind, body); err != nil {
		return nil, err
	}
	t := &SMSTemplate{Kind: kind, Body: strings.TrimSpace(body), UpdatedAt: ptrTime(s.clock.Now()), UpdatedBy: actor.Name}
	if _, err := s.db.NewUpdate().Model(t).WherePK().Exec(ctx); err != nil {
		return nil, wrap("save sms template", err)
	}
	return t, nil
}

func ptrTime(t time.Time) *time.Time { return &t }

// LinkRatings sets how the rating link's token is made (intake signs it). Wired before serving;
// without it no rating link is sent.
func (s *Service) LinkRatings(token func(number string, round int) string) { s.ratingToken = token }

// smsAllowed says whether the citizen of a ticket may be sent SMS: a number to send to, and
// for a report or a confidential ticket their consent.
func smsAllowed(t *tickets.Ticket, consent bool) bool {
	return t.CallerPhone != "" && (t.Type != "report" && !t.Confidential || consent)
}

func consentOf(data map[string]any) bool {
	v, _ := data["sms_consent"].(bool)
	return v
}

func render(body string, vars map[string]string) string {
	return placeholder.ReplaceAllStringFunc(body, func(ph string) string { return vars[ph] })
}

func (s *Service) template(ctx context.Context, tx bun.IDB, kind string) (string, error) {
	var body string
	if err := tx.NewSelect().Model((*SMSTemplate)(nil)).Column("body").Where("kind = ?", kind).Scan(ctx, &body); err != nil {
		return "", wrap("sms template "+kind, err)
	}
	return body, nil
}

// FollowRegistered queues the receipt (受理回执) of each ticket registered, in the
// registering transaction.
func (s *Service) FollowRegistered(ctx context.Context, tx bun.Tx, ts []*tickets.Ticket, ins []tickets.RegisterInput) error {
	if !s.opt.SMS {
		return nil
	}
	var body string
	var rows []*Notification
	now := s.clock.Now()
	for i, t := range ts {
		if !smsAllowed(t, consentOf(ins[i].Data)) {
			continue
		}
		if body == "" {
			var err error
			if body, err = s.template(ctx, tx, SMSReceipt); err != nil {
				return err
			}
		}
		text := render(body, map[string]string{"{number}": t.Number, "{link}": s.opt.PublicURL + "/track?number=" + t.Number})
		rows = append(rows, s.citizenRow(t, "receipt", text, "receipt:"+strconv.FormatInt(t.ID, 10), now))
	}
	return insertNotifications(ctx, tx, rows)
}

// ratingSMS queues the rating link of a resolution, in the resolving transaction.
func (s *Service) ratingSMS(ctx context.Context, tx bun.Tx, t *tickets.Ticket) error {
	if !s.opt.SMS || s.ratingToken == nil || t.CallerPhone == "" {
		return nil
	}
	if t.Type == "report" {
		var consent bool
		if err := tx.NewRaw("SELECT coalesce((data->>'sms_consent')::boolean, false) FROM ticket_events WHERE ticket_id = ? AND kind = 'register'",
			t.ID).Scan(ctx, &consent); err != nil {
			return wrap("sms consent of "+t.Number, err)
		}
		if !smsAllowed(t, consent) {
			return nil
		}
	}
	body, err := s.template(ctx, tx, SMSRating)
	if err != nil {
		return err
	}
	link := s.opt.PublicURL + "/rate/" + s.ratingToken(t.Number, t.ReopenCount)
	text := render(body, map[string]string{"{number}": t.Number, "{link}": link, "{days}": strconv.Itoa(ratingLinkDays)})
	return insertNotifications(ctx, tx, []*Notification{s.citizenRow(t, "rating_link", text,
		fmt.Sprintf("rating:%d:%d", t.ID, t.ReopenCount), s.clock.Now())})
}

// ratingLinkDays is how long the rating link works, as the SMS tells it (intake.RatingLinkTTL).
const ratingLinkDays = 7

func (s *Service) citizenRow(t *tickets.Ticket, kind, text, dedup string, now time.Time) *Notification {
	id := t.ID
	return &Notification{Channel: ChannelSMS, Address: t.CallerPhone, TicketID: &id, Kind: kind, Subject: text, Body: text,
		CreatedAt: now, Status: "pending", NextAttemptAt: now, DedupKey: &dedup}
}
