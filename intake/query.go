package intake

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/redact"
	"github.com/hotline-city/hotline/tickets"
)

// MaxRequests is the most requests GET requests answers, as the spec sets it.
const MaxRequests = 1000

// RequestWindow is the longest span GET requests searches, and its default.
const RequestWindow = 90 * 24 * time.Hour

// RequestFilter selects requests for GET requests.
type RequestFilter struct {
	IDs          []string // overrides every other filter
	ServiceCodes []string
	Start, End   time.Time // zero: the last 90 days
	Statuses     []string  // "open", "closed"
}

// ParseRequestFilter reads GET requests' query parameters, reporting each bad one by name.
func ParseRequestFilter(q map[string][]string, now time.Time) (RequestFilter, error) {
	var errs FieldErrors
	var f RequestFilter
	list := func(k string) []string {
		var out []string
		for _, v := range q[k] {
			for _, p := range strings.Split(v, ",") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
		}
		return out
	}
	f.IDs = list("service_request_id")
	if len(f.IDs) > MaxRequests {
		errs.add("service_request_id", "too_many_ids", "names more than %d requests", MaxRequests)
	}
	if len(f.IDs) > 0 {
		if len(errs) > 0 {
			return f, errs
		}
		return f, nil
	}
	f.ServiceCodes = list("service_code")
	f.Statuses = list("status")
	for _, st := range f.Statuses {
		if st != "open" && st != "closed" {
			errs.add("status", "status", "%q is not open or closed", truncate(st, 20))
		}
	}
	date := func(k string) time.Time {
		v := strings.TrimSpace(first(q[k]))
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			errs.add(k, "datetime", "must be a w3 date and time with its zone, like 2010-01-01T00:00:00Z")
		}
		return t
	}
	f.Start, f.End = date("start_date"), date("end_date")
	switch {
	case errs.Has("start_date") || errs.Has("end_date"):
	case f.Start.IsZero() && f.End.IsZero():
		f.End, f.Start = now, now.Add(-RequestWindow)
	case f.Start.IsZero():
		f.Start = f.End.Add(-RequestWindow)
	case f.End.IsZero():
		f.End = f.Start.Add(RequestWindow)
	case f.End.Before(f.Start):
		errs.add("end_date", "date_order", "is before start_date")
	case f.End.Sub(f.Start) > RequestWindow:
		errs.add("end_date", "date_span", "start_date and end_date may not span more than 90 days")
	}
	if len(errs) > 0 {
		return f, errs
	}
	return f, nil
}

func first(vs []string) string {
	if len(vs) == 0 {
		return ""
	}
	return vs[0]
}

// requestColumns are read for every request; the latest public event gives status_notes.
const requestColumns = `SELECT t.number, t.status, t.description, t.address, t.lat, t.lon, t.created_at, t.updated_at,
	t.resolve_due, coalesce(c.code, ''), coalesce(c.name_zh, ''), coalesce(d.name_zh, ''), coalesce(sv.notice, ''),
	s.address_id, s.media_url, coalesce(ev.kind, ''), coalesce(ev.body, ''), coalesce(ev.to_status, ''), coalesce(ev.data, '{}')
FROM intake_submissions s
JOIN tickets t ON t.id = s.ticket_id
LEFT JOIN categories c ON c.id = t.category_id
LEFT JOIN intake_services sv ON sv.category_id = t.category_id
LEFT JOIN departments d ON d.id = t.department_id
LEFT JOIN LATERAL (SELECT e.kind, e.body, e.to_status, e.data FROM ticket_events e
	WHERE e.ticket_id = t.id AND e.public ORDER BY e.id DESC LIMIT 1) ev ON true
WHERE s.channel = 'open311'`

// Requests answers GET requests: the requests made through Open311 that match f, newest first,
// at most MaxRequests. Tickets from the telephone or the public form are not published.
func (s *Service) Requests(ctx context.Context, f RequestFilter) ([]Request, error) {
	q := requestColumns
	var args []any
	if len(f.IDs) > 0 {
		q += " AND t.number IN (?)"
		args = append(args, bun.List(f.IDs))
	} else {
		q += " AND t.created_at >= ? AND t.created_at <= ?"
		args = append(args, f.Start, f.End)
		if len(f.ServiceCodes) > 0 {
			q += " AND c.code IN (?)"
			args = append(args, bun.List(f.ServiceCodes))
		}
		open, closed := false, false
		for _, st := range f.Statuses {
			open, closed = open || st == "open", closed || st == "closed"
		}
		if open != closed {
			if closed {
				q += " AND t.status = 'closed'"
			} else {
				q += " AND t.status <> 'closed'"
			}
		}
	}
	q += fmt.Sprintf(" ORDER BY t.created_at DESC, t.id DESC LIMIT %d", MaxRequests)
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("open311 requests: %w", err)
	}
	defer rows.Close()
	out := []Request{}
	for rows.Next() {
		r, err := s.scanRequest(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *r)
	}
	return out, rows.Err()
}

// Request answers GET requests/{id}.
func (s *Service) Request(ctx context.Context, number string) (*Request, error) {
	row := s.db.QueryRowContext(ctx, requestColumns+" AND t.number = ?", number)
	r, err := s.scanRequest(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("service request %s: %w", number, ErrNotFound)
	}
	return r, err
}

type scanner interface{ Scan(dest ...any) error }

func (s *Service) scanRequest(row scanner) (*Request, error) {
	var r Request
	var status, kind, body, to string
	var data []byte
	var created, updated time.Time
	var due *time.Time
	if err := row.Scan(&r.ID, &status, &r.Description, &r.Address, &r.Lat, &r.Long, &created, &updated, &due,
		&r.ServiceCode, &r.ServiceName, &r.AgencyResponsible, &r.ServiceNotice, &r.AddressID, &r.MediaURL,
		&kind, &body, &to, &data); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
		return nil, fmt.Errorf("open311 request: %w", err)
	}
	// GET requests is public: what the citizen typed is published with the personal data
	// masked, the address coarsened to its street and the point to about a hundred metres.
	r.Description, r.Address = redact.Text(r.Description), redact.Address(r.Address)
	r.Lat, r.Long = coarse(r.Lat), coarse(r.Long)
	r.Status = "open"
	if tickets.Status(status) == tickets.StatusClosed {
		r.Status = "closed"
	}
	r.StatusNotes = redact.Text(StatusNote(kind, body, to, data))
	r.Requested = s.w3(created)
	r.Updated = s.w3(updated)
	if due != nil {
		e := s.w3(*due)
		r.Expected = &e
	}
	return &r, nil
}

// coarse rounds a coordinate to three decimals, about a hundred metres.
func coarse(v *float64) *float64 {
	if v == nil {
		return nil
	}
	c := math.Round(*v*1000) / 1000
	return &c
}

// w3 formats t the way the spec wants dates: ISO 8601 with the zone, in the centre's zone.
func (s *Service) w3(t time.Time) string { return t.In(s.loc).Format(time.RFC3339) }

// StatusNote says in words what the latest public timeline entry was: its text when it has
// one, else what happened.
func StatusNote(kind, body, toStatus string, data []byte) string {
	if body != "" {
		return body
	}
	switch tickets.Action(kind) {
	case "":
		return ""
	case tickets.ActRegister:
		return "已受理"
	case tickets.ActDispatch:
		var d struct {
			DepartmentName string `json:"department_name"`
		}
		json.Unmarshal(data, &d)
		if d.DepartmentName != "" {
			return "已派单至" + d.DepartmentName
		}
		return "已派单"
	case tickets.ActAccept:
		return "承办单位已签收"
	case tickets.ActClose:
		return "已结案"
	case tickets.ActReopen:
		return "已重办"
	}
	return tickets.StatusZh(tickets.Status(toStatus))
}
