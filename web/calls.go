package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hotline-city/hotline/telephony"
	"github.com/hotline-city/hotline/tickets"
)

// CallsDeps are what the calls area needs: the SIP front end (nil when telephony is not
// wired, as in tests of other areas; the call list then still reads the database).
type CallsDeps struct {
	Telephony *telephony.Server
	// WallboardEvery is how often the wallboard refreshes without news (3 s when zero).
	WallboardEvery time.Duration
	// Recordings are the calls' recordings; nil when this process keeps none (HOTLINE_MEDIA
	// off and none kept before), and every call's recording field is then empty.
	Recordings *telephony.Recordings
}

// callView is a call in the API: the contract's fields first.
type callView struct {
	ID         string     `json:"id"`
	Caller     string     `json:"caller"`
	Dialled    string     `json:"dialled"`
	Extension  string     `json:"extension"`
	StartedAt  time.Time  `json:"started_at"`
	AnsweredAt *time.Time `json:"answered_at"`
	EndedAt    *time.Time `json:"ended_at"`
	Outcome    string     `json:"outcome"`
	// OutcomeText is the outcome in the reader's language.
	OutcomeText string  `json:"outcome_text"`
	Ticket      *string `json:"ticket"`
	QueueWaitMS int64   `json:"queue_wait_ms"`
	RingMS      int64   `json:"ring_ms"`
	TalkMS      int64   `json:"talk_ms"`
	// Recording is the URL of the call's recording for those allowed to hear it (see mayHear);
	// empty when the call has none or the reader may not hear it.
	Recording      string `json:"recording"`
	CallerCallID   string `json:"caller_call_id"`
	AgentCallID    string `json:"agent_call_id"`
	TransferTarget string `json:"transfer_target,omitempty"`
	// EndReason says why a call ended other than by a hang-up ("no_rtp", "out_of_hours").
	EndReason string `json:"end_reason,omitempty"`
}

func viewCall(r *telephony.Record, lang string) callView {
	v := callView{ID: r.ID, Caller: r.Caller, Dialled: r.Dialled, Extension: r.Extension, StartedAt: r.StartedAt,
		AnsweredAt: r.AnsweredAt, EndedAt: r.EndedAt, Outcome: r.Outcome, OutcomeText: tr(lang, "call.outcome."+r.Outcome), QueueWaitMS: r.QueueWaitMS, RingMS: r.RingMS,
		TalkMS: r.TalkMS, CallerCallID: r.CallerCallID, AgentCallID: r.AgentCallID, TransferTarget: r.TransferTarget,
		EndReason: r.EndReason}
	if r.Ticket != "" {
		t := r.Ticket
		v.Ticket = &t
	}
	return v
}

func (s *Server) getCalls(w http.ResponseWriter, r *http.Request) {
	// A caller's number stays out of URLs: POST /api/v1/calls/search carries it.
	q, err := queryOrBody(w, r, "caller")
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	f := telephony.CallFilter{Caller: q.get("caller")}
	if v := q.get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			s.apiError(w, r, &badField{"limit", "must be a number from 1 to 1000"})
			return
		}
		f.Limit = n
	}
	if v := q.get("before"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			s.apiError(w, r, &badField{"before", "must be an RFC 3339 time"})
			return
		}
		f.Before = t
	}
	rs, err := telephony.ListCalls(r.Context(), s.db, f)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := make([]callView, len(rs))
	for i := range rs {
		out[i] = viewCall(&rs[i], langOf(r))
	}
	if err := s.withRecordings(r.Context(), rs, out); err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"calls": out})
}

func (s *Server) getCall(w http.ResponseWriter, r *http.Request) {
	tel := s.Calls.Telephony
	rec, err := tel.Call(r.Context(), r.PathValue("id"))
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := []callView{viewCall(rec, langOf(r))}
	if err := s.withRecordings(r.Context(), []telephony.Record{*rec}, out); err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out[0])
}

// sip is h when this process runs the SIP front end, decided once as the routes are mounted;
// without one (a centre whose calls a PBX handles) the route answers 503.
func (s *Server) sip(h http.HandlerFunc) http.HandlerFunc {
	if s.Calls.Telephony != nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) {
		s.refuse(w, r, http.StatusServiceUnavailable, "telephony is not running in this process")
	}
}

// extension returns the signed-in agent's SIP extension, or answers 409 without one.
func (s *Server) extension(w http.ResponseWriter, r *http.Request) (string, bool) {
	st := staffFrom(r.Context())
	if st.SIPExtension == nil || *st.SIPExtension == "" {
		s.refuse(w, r, http.StatusConflict, "your account has no SIP extension")
		return "", false
	}
	return *st.SIPExtension, true
}

func (s *Server) postCallTransfer(w http.ResponseWriter, r *http.Request) {
	tel := s.Calls.Telephony
	ext, ok := s.extension(w, r)
	if !ok {
		return
	}
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	target := f.get("target")
	if target == "" {
		s.apiError(w, r, &badField{"target", "required: 110 or another configured hotline"})
		return
	}
	if err := tel.Transfer(r.Context(), r.PathValue("id"), ext, target, actorFrom(r.Context())); err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"transferred": true, "target": target})
}

func (s *Server) postCallTicket(w http.ResponseWriter, r *http.Request) {
	tel := s.Calls.Telephony
	f, err := readFields(w, r)
	if err != nil {
		s.refuseErr(w, r, http.StatusBadRequest, err)
		return
	}
	number := f.get("ticket")
	if number == "" {
		s.apiError(w, r, &badField{"ticket", "required: the ticket number"})
		return
	}
	if _, err := s.Tickets.GetFor(r.Context(), actorFrom(r.Context()), number); err != nil {
		s.apiError(w, r, err)
		return
	}
	if err := tel.LinkTicket(r.Context(), r.PathValue("id"), number); err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"call": r.PathValue("id"), "ticket": number})
}

func (s *Server) getAgentStatus(w http.ResponseWriter, r *http.Request) {
	tel := s.Calls.Telephony
	ext, ok := s.extension(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusOK, tel.Agent(ext))
}

func (s *Server) postAgentStatus(w http.ResponseWriter, r *http.Request) {
	ext, ok := s.extension(w, r)
	if !ok {
		return
	}
	f, err := readFields(w, r)
	if err == nil {
		err = s.changeAgentStatus(r.Context(), ext, f)
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.Calls.Telephony.Agent(ext))
}

// callBack starts calling back the citizen of the task in the path for the signed-in agent;
// ok is false when it has answered already (no extension, no such task).
func (s *Server) callBack(w http.ResponseWriter, r *http.Request) (*telephony.CallbackTask, bool, error) {
	ext, ok := s.extension(w, r)
	if !ok {
		return nil, false, nil
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		s.refuse(w, r, http.StatusNotFound, "no such callback task")
		return nil, false, nil
	}
	t, err := s.Calls.Telephony.CallBack(r.Context(), id, ext, staffFrom(r.Context()).ID)
	return t, true, err
}

// ticketBrief is an earlier ticket of the caller in a screen-pop.
type ticketBrief struct {
	Number    string         `json:"number"`
	Title     string         `json:"title"`
	Status    tickets.Status `json:"status"`
	CreatedAt time.Time      `json:"created_at"`
}

// getAgentEvents streams the agent's console events as server-sent events. A screenpop
// carries the caller's number and earlier tickets, looked up with the agent's own rights.
func (s *Server) getAgentEvents(w http.ResponseWriter, r *http.Request) {
	tel := s.Calls.Telephony
	ext, ok := s.extension(w, r)
	if !ok {
		return
	}
	ctx := r.Context()
	events, stop := tel.Subscribe(ext)
	defer stop()
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
	keepalive := time.NewTicker(25 * time.Second)
	defer keepalive.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-keepalive.C:
			if _, err := fmt.Fprint(w, ": keepalive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case e := <-events:
			payload := map[string]any{"type": e.Type, "call_id": e.CallID, "caller": e.Caller, "extension": e.Extension,
				"status": e.Status, "result": e.Result, "at": e.At}
			if e.Type == "screenpop" && e.Caller != "" {
				ts, err := s.Tickets.List(ctx, actorFrom(ctx), tickets.Filter{Phone: e.Caller, Limit: 20})
				if err != nil && ctx.Err() == nil {
					s.log.ErrorContext(ctx, "screen-pop tickets", "err", err)
				}
				briefs := make([]ticketBrief, len(ts))
				for i, t := range ts {
					briefs[i] = ticketBrief{t.Number, t.Title, t.Status, t.CreatedAt}
				}
				payload["tickets"] = briefs
			}
			raw, err := json.Marshal(payload)
			if err != nil {
				return
			}
			if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", e.Type, raw); err != nil || rc.Flush() != nil {
				return
			}
		}
	}
}

func (s *Server) getCallbacks(w http.ResponseWriter, r *http.Request) {
	tel := s.Calls.Telephony
	status := r.URL.Query().Get("status")
	switch status {
	case "", "open", "calling", "done", "failed":
	default:
		s.apiError(w, r, &badField{"status", "must be open, calling, done or failed"})
		return
	}
	ts, err := tel.Callbacks(r.Context(), status, 200)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"callbacks": ts})
}

func (s *Server) postCallback(w http.ResponseWriter, r *http.Request) {
	t, ok, err := s.callBack(w, r)
	if !ok {
		return
	}
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, t)
}
