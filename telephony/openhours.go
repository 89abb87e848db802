package telephony

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/emiago/sipgo"

	"github.com/hotline-city/hotline/telephony/acd"
	"github.com/hotline-city/hotline/tickets"
)

// OpenHours are the daily hours the centre's agents answer (HOTLINE_OPEN_HOURS), From to To
// after midnight in Loc; a To before From runs past midnight (20:00-08:00 is the night).
type OpenHours struct {
	From, To time.Duration
	Loc      *time.Location
}

// ParseOpenHours reads "HH:MM-HH:MM"; "" is nil: always open.
func ParseOpenHours(s string, loc *time.Location) (*OpenHours, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	from, to, ok := strings.Cut(s, "-")
	f, err1 := clockTime(from)
	t, err2 := clockTime(to)
	if !ok || err1 != nil || err2 != nil || f == t {
		return nil, fmt.Errorf("want the daily hours as HH:MM-HH:MM such as 08:00-20:00, got %q", s)
	}
	return &OpenHours{From: f, To: t, Loc: loc}, nil
}

func clockTime(s string) (time.Duration, error) {
	h, m, ok := strings.Cut(strings.TrimSpace(s), ":")
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || hh == 24 && mm != 0 {
		return 0, fmt.Errorf("bad time of day %q", s)
	}
	return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// Open reports whether t is within the hours.
func (h *OpenHours) Open(t time.Time) bool {
	if h == nil {
		return true
	}
	loc := h.Loc
	if loc == nil {
		loc = time.UTC
	}
	t = t.In(loc)
	y, mo, d := t.Date()
	since := t.Sub(time.Date(y, mo, d, 0, 0, 0, 0, loc))
	if h.From < h.To {
		return since >= h.From && since < h.To
	}
	return since >= h.From || since < h.To
}

// EndOutOfHours is the end_reason of a call that came out of hours.
const EndOutOfHours = "out_of_hours"

// outOfHours answers a call that came outside the opening hours without queueing it: its
// record ends at once as missed (no_agent, end_reason out_of_hours, so a callback task is
// made) and the caller hears the out-of-hours prompt and may leave a voice message; without
// media or voice messages it is answered 480.
func (s *Server) outOfHours(c *call, dlg *sipgo.DialogServerSession) {
	s.log.Info("call out of hours", "call_id", c.callID, "caller", tickets.MaskPhone(c.rec.Caller))
	s.mu.Lock()
	delete(s.calls, c.callID)
	s.ended.remember(c.inviteKey, s.clock.Now())
	s.mu.Unlock()
	c.mu.Lock()
	if !c.finished {
		c.finished = true
		now := s.clock.Now()
		c.rec.Outcome, c.rec.EndReason, c.rec.EndedAt = string(acd.OutcomeNoAgent), EndOutOfHours, &now
		s.writer.put(c.snapshot())
	}
	c.mu.Unlock()
	if c.media != nil && s.cfg.Media.VoiceMessages {
		s.takeMessage(c, dlg, "out-of-hours")
		return
	}
	dlg.Respond(480, "Out Of Hours", nil)
	c.closeMedia()
	s.forgetLegs(c)
}
