package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/telephony"
)

// errRecordingForbidden is a recording the signed-in account may not hear.
var errRecordingForbidden = errors.New("you may not hear this recording")

// mayHear reports whether st may hear the recording of the call rec (全程录音): supervisors
// and administrators any call, an agent the calls they took, a department's staff the calls
// linked to a ticket they may see. Nobody else.
func (s *Server) mayHear(ctx context.Context, st *org.Staff, rec *telephony.Record) bool {
	switch {
	case st == nil:
		return false
	case org.HearRecordings.Has(st.Role):
		return true
	case st.Role == org.RoleAgent:
		return st.SIPExtension != nil && *st.SIPExtension != "" && *st.SIPExtension == rec.Extension
	case org.DepartmentStaff.Has(st.Role) && rec.Ticket != "":
		_, err := s.Tickets.GetFor(ctx, actorFrom(ctx), rec.Ticket)
		return err == nil
	}
	return false
}

// recordingURL is where the API says a call's recording plays.
func recordingURL(callID string) string { return "/api/v1/calls/" + callID + "/recording" }

// withRecordings fills the recording field of the calls whose recordings the signed-in
// account may hear.
func (s *Server) withRecordings(ctx context.Context, rs []telephony.Record, views []callView) error {
	if s.Calls.Recordings == nil || len(rs) == 0 {
		return nil
	}
	ids := make([]string, len(rs))
	for i := range rs {
		ids[i] = rs[i].ID
	}
	playable, err := s.Calls.Recordings.Playable(ctx, ids)
	if err != nil {
		return err
	}
	st := staffFrom(ctx)
	for i := range rs {
		if playable[rs[i].ID] && s.mayHear(ctx, st, &rs[i]) {
			views[i].Recording = recordingURL(rs[i].ID)
		}
	}
	return nil
}

// getRecording plays a call's recording (a WAV, with range requests) to those allowed to
// hear it, writing each playback to the audit trail. A file that is missing or no longer
// matches its checksum is reported and logged, never served.
func (s *Server) getRecording(w http.ResponseWriter, r *http.Request) {
	s.playAudio(w, r, "recording", func(ctx context.Context, rs *telephony.Recordings, id string) (time.Time, io.ReadSeeker, error) {
		rec, body, err := rs.Open(ctx, id)
		if err != nil {
			return time.Time{}, nil, err
		}
		return rec.EndedAt, body, nil
	})
}

// getVoiceMessage plays the voice message (留言) left on a call when nobody could answer, under
// the rules of the recordings: the same roles, checked file, audited playback.
func (s *Server) getVoiceMessage(w http.ResponseWriter, r *http.Request) {
	s.playAudio(w, r, "voice_message", func(ctx context.Context, rs *telephony.Recordings, id string) (time.Time, io.ReadSeeker, error) {
		vm, body, err := rs.OpenMessage(ctx, id)
		if err != nil {
			return time.Time{}, nil, err
		}
		return vm.CreatedAt, body, nil
	})
}

// playAudio serves the audio of kind ("recording", "voice_message") of the call in the path
// to those who may hear the call (mayHear), as a WAV with range requests, auditing each
// playback as <kind>_played; open reads it, checked. A damaged file is audited as
// <kind>_damaged and answered 500, never served.
func (s *Server) playAudio(w http.ResponseWriter, r *http.Request, kind string,
	open func(ctx context.Context, rs *telephony.Recordings, id string) (time.Time, io.ReadSeeker, error)) {
	ctx := r.Context()
	api := strings.HasPrefix(r.URL.Path, "/api/")
	fail := s.pageError
	if api {
		fail = s.apiError
	}
	id := r.PathValue("id")
	rs := s.Calls.Recordings
	if rs == nil {
		fail(w, r, fmt.Errorf("%s of %s: %w", kind, id, telephony.ErrNoRecording))
		return
	}
	call, err := s.recordedCall(ctx, id)
	if err != nil {
		fail(w, r, err)
		return
	}
	st := staffFrom(ctx)
	if !s.mayHear(ctx, st, call) {
		fail(w, r, fmt.Errorf("%s of %s: %w", kind, id, errRecordingForbidden))
		return
	}
	modified, body, err := open(ctx, rs, call.ID)
	if errors.Is(err, telephony.ErrRecordingDamaged) {
		s.log.ErrorContext(ctx, kind+" damaged; not served", "call_id", call.ID, "err", err)
		s.auditAfter(ctx, st, kind+"_damaged", "call", call.ID, map[string]any{"error": err.Error()})
		if api {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": telephony.ErrRecordingDamaged.Error()})
			return
		}
		s.renderError(w, r, http.StatusInternalServerError, tr(pageLang(r), "error.recording_damaged"))
		return
	}
	if err != nil {
		fail(w, r, err)
		return
	}
	s.auditAfter(ctx, st, kind+"_played", "call", call.ID, map[string]any{"range": r.Header.Get("Range")})
	h := w.Header()
	h.Set("Content-Type", "audio/wav")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, call.ID+".wav", modified, body)
}

// ticketRecording is a recorded call on a ticket's page.
type ticketRecording struct {
	CallID    string
	StartedAt time.Time
}

// ticketRecordings are the recordings of the calls linked to ticket id that the signed-in
// account may hear.
func (s *Server) ticketRecordings(ctx context.Context, id int64) ([]ticketRecording, error) {
	if s.Calls.Recordings == nil {
		return nil, nil
	}
	rs, err := telephony.ListCalls(ctx, s.db, telephony.CallFilter{TicketID: id, Limit: 50})
	if err != nil {
		return nil, err
	}
	views := make([]callView, len(rs))
	if err := s.withRecordings(ctx, rs, views); err != nil {
		return nil, err
	}
	var out []ticketRecording
	for i := range rs {
		if views[i].Recording != "" {
			out = append(out, ticketRecording{rs[i].ID, rs[i].StartedAt})
		}
	}
	return out, nil
}
