package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hotline-city/hotline/escalation"
)

// EscalationDeps are what the escalation area needs.
type EscalationDeps struct {
	Service *escalation.Service
	// Poll is how often a live notification stream looks for notifications queued by other
	// processes; default 5s. Notifications of this process arrive at once.
	Poll time.Duration
}

// parseDue reads a deadline: RFC 3339, "2006-01-02 15:04" in the configured zone, or a date,
// meaning the end of that day's working hours.
func (s *Server) parseDue(field, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	loc := time.Local
	if s.Config != nil && s.Config.Location != nil {
		loc = s.Config.Location
	}
	if t, err := time.ParseInLocation("2006-01-02 15:04", v, loc); err == nil {
		return t, nil
	}
	if t, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
		end := 17 * time.Hour
		if s.Calendar != nil {
			end = s.Calendar.Hours().End
		}
		return t.Add(end), nil
	}
	return time.Time{}, &badField{field, "want a time such as 2026-12-01T17:00:00+08:00, 2026-12-01 17:00 or 2026-12-01"}
}

func (s *Server) postExtension(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	in := escalation.ExtensionInput{Reason: f.get("reason")}
	if in.Workdays, err = f.int("workdays"); err == nil {
		in.NewDue, err = s.parseDue("new_due", f.get("new_due"))
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	x, err := esc.RequestExtension(r.Context(), actorFrom(r.Context()), r.PathValue("number"), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, x)
}

func (s *Server) getExtensions(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	status := r.URL.Query().Get("status")
	switch status {
	case "", "pending", "approved", "refused", "closed":
	default:
		s.apiError(w, r, &badField{"status", "must be pending, approved, refused or closed"})
		return
	}
	xs, err := esc.Extensions(r.Context(), actorFrom(r.Context()), status, 0)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if xs == nil {
		xs = []escalation.Extension{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"extensions": xs})
}

func (s *Server) decideExtension(approve bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		esc := s.Escalation.Service
		id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
		if err != nil {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such extension request"})
			return
		}
		f, err := readFields(w, r)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		x, err := esc.DecideExtension(r.Context(), actorFrom(r.Context()), id, approve, f.get("text"))
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		writeJSON(w, http.StatusOK, x)
	}
}

func (s *Server) postNotice(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	in := escalation.NoticeInput{Text: f.get("text")}
	if in.Workdays, err = f.int("workdays"); err == nil {
		in.Due, err = s.parseDue("due", f.get("due"))
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	n, err := esc.IssueNotice(r.Context(), actorFrom(r.Context()), r.PathValue("number"), in)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, n)
}

func (s *Server) getNotices(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	status := r.URL.Query().Get("status")
	if status != "" && status != "open" && status != "replied" {
		s.apiError(w, r, &badField{"status", "must be open or replied"})
		return
	}
	ns, err := esc.Notices(r.Context(), actorFrom(r.Context()), status, 0)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if ns == nil {
		ns = []escalation.Notice{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notices": ns})
}

func (s *Server) getNotice(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	n, err := esc.Notice(r.Context(), actorFrom(r.Context()), r.PathValue("number"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (s *Server) postNoticeReply(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	f, err := readFields(w, r)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	n, err := esc.ReplyNotice(r.Context(), actorFrom(r.Context()), r.PathValue("number"), f.get("text"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, n)
}

func (s *Server) getNotifications(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	limit, err := fields(r.URL.Query()).int("limit")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	ns, err := esc.Recent(r.Context(), staffFrom(r.Context()).ID, limit)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	if ns == nil {
		ns = []escalation.Notification{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"notifications": ns})
}

func (s *Server) postNotificationRead(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such notification"})
		return
	}
	if err := esc.MarkRead(r.Context(), staffFrom(r.Context()).ID, id); err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"id": id, "read": true})
}

// getNotificationStream sends the staff member's in-app notifications as server-sent events as
// they are queued. It starts after Last-Event-ID (a reconnecting browser) or ?after=, else
// after the newest one, so a fresh page gets only what is new; the list API has the rest.
func (s *Server) getNotificationStream(w http.ResponseWriter, r *http.Request) {
	esc := s.Escalation.Service
	ctx := r.Context()
	st := staffFrom(ctx)
	after := int64(-1)
	for _, v := range []string{r.Header.Get("Last-Event-ID"), r.URL.Query().Get("after")} {
		if v == "" {
			continue
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			s.apiError(w, r, &badField{"after", "must be a notification id"})
			return
		}
		after = n
		break
	}
	if after < 0 {
		latest, err := esc.Recent(ctx, st.ID, 1)
		if err != nil {
			s.apiError(w, r, err)
			return
		}
		after = 0
		if len(latest) > 0 {
			after = latest[0].ID
		}
	}
	rc := http.NewResponseController(w)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprintf(w, "retry: 3000\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	wake, stop := esc.Hub().Subscribe(st.ID)
	defer stop()
	poll := s.Escalation.Poll
	if poll <= 0 {
		poll = 5 * time.Second
	}
	tick := time.NewTicker(poll)
	defer tick.Stop()
	for {
		ns, err := esc.InApp(ctx, st.ID, after, 100)
		if err != nil {
			if !errors.Is(err, ctx.Err()) {
				s.log.ErrorContext(ctx, "notification stream", "err", err)
			}
			return
		}
		for _, n := range ns {
			raw, err := json.Marshal(n)
			if err != nil {
				return
			}
			if _, err := fmt.Fprintf(w, "id: %d\nevent: notification\ndata: %s\n\n", n.ID, raw); err != nil {
				return
			}
			after = n.ID
		}
		if len(ns) == 0 {
			// A comment keeps proxies from closing an idle stream.
			if _, err := fmt.Fprint(w, ": idle\n\n"); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-wake:
		case <-tick.C:
		}
	}
}
