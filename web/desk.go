package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/telephony"
	"github.com/hotline-city/hotline/telephony/acd"
)

// The phone desk in the browser: the agent's status in the console header, the call log, the
// missed-call list (漏接回拨) with one-click callback, and the floor's wallboard, all over the
// calls area's data (calls.go) and the SIP front end's queue.

// wallboardRoles see the floor's wallboard: the centre and its leaders.
var wallboardRoles = append(org.RoleSet{org.RoleLeader}, org.Centre...)

// breakReasons are the reasons an agent gives for a break (小休).
var breakReasons = []string{"rest", "meal", "meeting", "training", "busy"}

// deskStatus is the console header's agent status: the queue's view of the extension.
type deskStatus struct {
	Extension string
	Agent     telephony.AgentState
	Reason    string
	Reasons   []string
	// Off says why no status can be set (no telephony in this process, no extension).
	Off string
	// Targets are who an agent on a call may bring into a three-way consult, and Consult
	// the one on the call now (consult_form.go).
	Targets []string
	Consult string
}

// deskStatusFor is st's status for the console header.
func (s *Server) deskStatusFor(st *org.Staff) *deskStatus {
	d := &deskStatus{Reasons: breakReasons}
	switch {
	case !org.CallTakers.Has(st.Role):
		return nil
	case st.SIPExtension == nil || *st.SIPExtension == "":
		d.Off = "desk.no_extension"
	case s.Calls.Telephony == nil:
		d.Off = "desk.no_telephony"
	default:
		d.Extension = *st.SIPExtension
		d.Agent = s.Calls.Telephony.Agent(d.Extension)
		d.Reason = s.staff().breakReason(d.Extension)
		s.consultFor(d)
	}
	return d
}

// breakReason is the reason extension gave for its break, kept by this process for the
// console and the wallboard.
func (st *staffState) breakReason(ext string) string {
	st.deskMu.Lock()
	defer st.deskMu.Unlock()
	return st.breaks[ext]
}

func (st *staffState) setBreakReason(ext, reason string) {
	st.deskMu.Lock()
	defer st.deskMu.Unlock()
	if st.breaks == nil {
		st.breaks = map[string]string{}
	}
	if reason == "" {
		delete(st.breaks, ext)
	} else {
		st.breaks[ext] = reason
	}
}

// changeAgentStatus sets ext's status from f: status available (示闲), break (小休, with a
// reason; 示忙 is a break for other work) or signed_out (签出). The console's header and the API
// both take it.
func (s *Server) changeAgentStatus(ctx context.Context, ext string, f fields) error {
	st, err := telephony.ParseStatus(f.get("status"))
	if err != nil {
		return &badField{"status", "must be available, break or signed_out"}
	}
	reason := ""
	if st == acd.StatusBreak {
		// A script may leave the reason out; the console always gives one.
		if reason = f.get("reason"); reason != "" && !slices.Contains(breakReasons, reason) || reason == "" && f.get("form") != "" {
			return &badField{"reason", "choose the reason for the break"}
		}
	}
	if err := s.Calls.Telephony.SetAgentStatus(ext, st); err != nil {
		return err
	}
	s.staff().setBreakReason(ext, reason)
	s.publishLive(ctx, "calls")
	return nil
}

// postConsoleStatus sets the agent's status from the console header and goes back.
func (s *Server) postConsoleStatus(w http.ResponseWriter, r *http.Request) {
	ext, ok := s.extension(w, r)
	if !ok {
		return
	}
	f, err := readFields(w, r)
	if err == nil {
		f["form"] = []string{"console"}
		err = s.changeAgentStatus(r.Context(), ext, f)
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	next := safeNext(f.get("next"))
	if next == "" {
		next = "/console"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// callsPage is the call log: an agent's own calls, or every call for the centre's other roles.
type callsPage struct {
	Calls    []telephony.Record
	Mine     bool
	CanAll   bool
	SeePhone bool
	Outcome  string
	Outcomes []string
	Next     string
}

// callOutcomes are the outcomes the call log filters by.
var callOutcomes = []string{string(acd.OutcomeAnswered), telephony.OutcomeTransferred, string(acd.OutcomeAbandonedQueue),
	string(acd.OutcomeAbandonedRinging), string(acd.OutcomeNoAgent), string(acd.OutcomeMaxWait), telephony.OutcomeFailed,
	telephony.OutcomeInProgress, telephony.OutcomeCallbackRequested}

func (s *Server) getCallsPage(w http.ResponseWriter, r *http.Request) {
	st := staffFrom(r.Context())
	q := r.URL.Query()
	p := &callsPage{CanAll: st.Role != org.RoleAgent, SeePhone: org.SeePhone.Has(st.Role), Outcomes: callOutcomes}
	f := telephony.CallFilter{Limit: 50}
	// An agent sees their own calls; the centre's other roles every call, or their own.
	p.Mine = !p.CanAll || q.Get("mine") == "1"
	if p.Mine {
		if st.SIPExtension == nil || *st.SIPExtension == "" {
			s.refuse(w, r, http.StatusConflict, "your account has no SIP extension")
			return
		}
		f.Extension = *st.SIPExtension
	}
	if o := q.Get("outcome"); o != "" {
		if !slices.Contains(callOutcomes, o) {
			s.refuseErr(w, r, http.StatusBadRequest, &badField{"outcome", "unknown outcome"})
			return
		}
		f.Outcome, p.Outcome = o, o
	}
	if v := q.Get("before"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			s.refuseErr(w, r, http.StatusBadRequest, &badField{"before", "must be an RFC 3339 time"})
			return
		}
		f.Before = t
	}
	calls, err := telephony.ListCalls(r.Context(), s.db, f)
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	p.Calls = calls
	if len(calls) == f.Limit {
		next := url.Values{"before": {calls[len(calls)-1].StartedAt.Format(time.RFC3339Nano)}}
		if p.Outcome != "" {
			next.Set("outcome", p.Outcome)
		}
		if p.Mine && p.CanAll {
			next.Set("mine", "1")
		}
		p.Next = "/calls?" + next.Encode()
	}
	s.renderStaff(w, r, "staff/calls.html", p)
}

// callbacksPage is the missed-call list (漏接回拨).
type callbacksPage struct {
	Open, Recent []telephony.CallbackTask
	CanCall      bool
	SeePhone     bool
	Done, Error  string
	// HearMessages: the signed-in account may hear the voice messages, which belong to calls
	// nobody answered (mayHear).
	HearMessages bool
}

func (s *Server) getCallbacksPage(w http.ResponseWriter, r *http.Request) {
	s.renderCallbacks(w, r, http.StatusOK, r.URL.Query().Get("done"), "")
}

func (s *Server) renderCallbacks(w http.ResponseWriter, r *http.Request, status int, done, errText string) {
	ctx := r.Context()
	st := staffFrom(ctx)
	p := &callbacksPage{SeePhone: org.SeePhone.Has(st.Role), Done: done, Error: errText,
		CanCall:      org.CallTakers.Has(st.Role) && st.SIPExtension != nil && *st.SIPExtension != "",
		HearMessages: org.HearRecordings.Has(st.Role)}
	var err error
	if p.Open, err = telephony.ListCallbacks(ctx, s.db, "", 200); err == nil {
		var done, failed []telephony.CallbackTask
		if done, err = telephony.ListCallbacks(ctx, s.db, "done", 20); err == nil {
			failed, err = telephony.ListCallbacks(ctx, s.db, "failed", 20)
		}
		p.Recent = append(done, failed...)
		slices.SortFunc(p.Recent, func(a, b telephony.CallbackTask) int { return b.UpdatedAt.Compare(a.UpdatedAt) })
	}
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderStaffStatus(w, r, status, "staff/callbacks.html", p)
}

// postCallbackForm calls a citizen back from the missed-call list: the agent's phone rings
// first, then the citizen's.
func (s *Server) postCallbackForm(w http.ResponseWriter, r *http.Request) {
	_, ok, err := s.callBack(w, r)
	if !ok {
		return
	}
	if err != nil {
		status, _ := errorStatus(err)
		if status == http.StatusInternalServerError {
			s.pageError(w, r, err)
			return
		}
		s.renderCallbacks(w, r, status, "", errorText(langOf(r), err))
		return
	}
	http.Redirect(w, r, "/callbacks?done="+r.PathValue("id"), http.StatusSeeOther)
}

// wallboard is what the floor's wallboard shows, per queue (the hotline has one, 12345).
type wallboard struct {
	Live bool // the queue's live figures are known to this process
	// Waiting calls, the longest wait among them, agents by state.
	Waiting     int
	LongestWait time.Duration
	Agents      map[string]int
	// Today (Beijing time): calls offered, answered, answered within 15 seconds, abandoned,
	// and the callbacks still owed.
	Offered, Answered, Answered15, Abandoned, CallbacksOpen int
	AnswerRate, Answer15Rate                                *float64
	At                                                      time.Time
	// LiveCalls are the calls in conversation; CanMonitor: the reader may monitor them
	// (monitor.go).
	LiveCalls  []telephony.LiveCall
	CanMonitor bool
}

// agentStates orders the wallboard's agents-by-state row.
var agentStates = acd.Buckets

// wallboardFigures gathers the wallboard's figures: the queue's live state from this process's
// SIP front end, today's from the call records.
func (s *Server) wallboardFigures(ctx context.Context) (*wallboard, error) {
	now := s.Clock.Now()
	b := &wallboard{At: now, Agents: map[string]int{}}
	for _, k := range agentStates {
		b.Agents[k] = 0
	}
	if tel := s.Calls.Telephony; tel != nil {
		q := tel.QueueFigures()
		b.Live, b.Waiting, b.LongestWait, b.Agents = true, q.Waiting, q.LongestWait, q.Agents
		b.LiveCalls, b.CanMonitor = tel.LiveCalls(), canMonitor(ctx)
	}
	day, err := telephony.CallsToday(ctx, s.db, now, s.location())
	if err != nil {
		return nil, fmt.Errorf("wallboard: %w", err)
	}
	b.Offered, b.Answered, b.Answered15, b.Abandoned = day.Offered, day.Answered, day.Answered15, day.Abandoned
	if err := s.db.NewRaw("SELECT count(*) FROM callback_tasks WHERE status IN ('open', 'calling')").Scan(ctx, &b.CallbacksOpen); err != nil {
		return nil, fmt.Errorf("wallboard: callbacks: %w", err)
	}
	if b.Offered > 0 {
		a, a15 := float64(b.Answered)/float64(b.Offered), float64(b.Answered15)/float64(b.Offered)
		b.AnswerRate, b.Answer15Rate = &a, &a15
	}
	return b, nil
}

func (s *Server) getWallboard(w http.ResponseWriter, r *http.Request) {
	b, err := s.wallboardFigures(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderStaff(w, r, "staff/wallboard.html", b)
}

// getWallboardFigures is the wallboard's figures alone, which the page swaps in when its event
// stream says they changed.
func (s *Server) getWallboardFigures(w http.ResponseWriter, r *http.Request) {
	b, err := s.wallboardFigures(r.Context())
	if err != nil {
		s.pageError(w, r, err)
		return
	}
	s.renderTemplate(w, r, http.StatusOK, "staff/wallboard.html", "wallboard-figures", b)
}

// getWallboardEvents streams "calls" events: at every change announced on the live hub and
// every few seconds, since a queue's waits grow without any change being announced.
func (s *Server) getWallboardEvents(w http.ResponseWriter, r *http.Request) {
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": connected\n\n")
	if err := rc.Flush(); err != nil {
		return
	}
	hub := s.staff().live
	ch := hub.subscribe()
	defer hub.unsubscribe(ch)
	tick := time.NewTicker(s.wallboardEvery())
	defer tick.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-ch:
		case <-tick.C:
		}
		if _, err := fmt.Fprint(w, "event: calls\ndata: changed\n\n"); err != nil || rc.Flush() != nil {
			return
		}
	}
}

// wallboardEvery is how often the wallboard refreshes without news.
func (s *Server) wallboardEvery() time.Duration {
	if s.Calls.WallboardEvery > 0 {
		return s.Calls.WallboardEvery
	}
	return 3 * time.Second
}
