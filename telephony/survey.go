package telephony

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/emiago/sipgo/sip"
	"github.com/pion/rtp"
	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Ratings of the post-call survey by the digit pressed.
var surveyRatings = map[byte]string{'1': "satisfied", '2': "basically", '3': "dissatisfied"}

// surveyWords are the ratings as the ticket's timeline says them.
var surveyWords = map[string]string{"satisfied": "满意（satisfied）", "basically": "基本满意（basically satisfied）",
	"dissatisfied": "不满意（dissatisfied）"}

// Rating is a citizen's rating of a call (call_ratings).
type Rating struct {
	bun.BaseModel `bun:"table:call_ratings,alias:rt"`

	CallID    string    `bun:"call_id,pk,type:uuid" json:"call_id"`
	Extension string    `bun:"extension" json:"extension"`
	Rating    string    `bun:"rating" json:"rating"`
	RatedAt   time.Time `bun:"rated_at" json:"rated_at"`
}

// CallRating returns the rating of a call, or ErrNotFound.
func CallRating(ctx context.Context, db bun.IDB, callID string) (*Rating, error) {
	r := new(Rating)
	if err := db.NewSelect().Model(r).Where("call_id = ?", callID).Scan(ctx); err != nil {
		return nil, fmt.Errorf("rating of %s: %w", callID, ErrNotFound)
	}
	return r, nil
}

// dtmfDigit is the key of an RFC 4733 event code, or 0 for none.
func dtmfDigit(code byte) byte {
	switch {
	case code <= 9:
		return '0' + code
	case code == 10:
		return '*'
	case code == 11:
		return '#'
	}
	return 0
}

// onCallerEvent reads an RFC 4733 telephone event from the caller. A key press is taken from
// the first packet of its event (a new RTP timestamp), whatever that packet's duration: diago's
// reader waits for a duration above zero and so drops the presses of phones (and SIPp's pcaps)
// whose first packet says 0. The repeated packets of an event, the end packets included, share
// its timestamp and are ignored. Runs on the caller's read goroutine only.
func (m *callMedia) onCallerEvent(p *rtp.Packet) {
	if len(p.Payload) < 4 || (m.haveEvent && p.Timestamp == m.eventTS) {
		return
	}
	m.haveEvent, m.eventTS = true, p.Timestamp
	if d := dtmfDigit(p.Payload[0]); d != 0 {
		select {
		case m.digits <- d:
		default:
		}
	}
}

// onInfo accepts INFO within a call's dialogs: a key sent as application/dtmf-relay
// ("Signal=2") or application/dtmf ("2"), as some phones send them instead of RFC 4733, is
// read like one from the RTP stream; other INFO (keep-alives) is answered and ignored.
func (s *Server) onInfo(req *sip.Request, tx sip.ServerTransaction) {
	l := s.findLeg(req)
	if l == nil {
		s.respond(tx, req, 481, "Call/Transaction Does Not Exist")
		return
	}
	if d := infoDigit(req); d != 0 && l == l.c.in && l.c.media != nil {
		select {
		case l.c.media.digits <- d:
		default:
		}
	}
	s.respond(tx, req, 200, "OK")
}

// infoDigit is the key an INFO carries, or 0.
func infoDigit(req *sip.Request) byte {
	ct := ""
	if h := req.ContentType(); h != nil {
		ct = strings.ToLower(strings.TrimSpace(strings.Split(h.Value(), ";")[0]))
	}
	body := strings.TrimSpace(string(req.Body()))
	switch ct {
	case "application/dtmf-relay":
		for _, line := range strings.Split(body, "\n") {
			k, v, ok := strings.Cut(line, "=")
			if ok && strings.EqualFold(strings.TrimSpace(k), "signal") {
				body = strings.TrimSpace(v)
				break
			}
		}
	case "application/dtmf":
	default:
		return 0
	}
	if len(body) == 1 && strings.ContainsRune("0123456789*#", rune(body[0])) {
		return body[0]
	}
	return 0
}

// surveying reports whether the agent's hang-up (from) on c starts the post-call survey: with
// media, a survey prompt, a call that was talking and not transferred. It marks the call so
// that it happens once. Runs with c.mu held.
func (s *Server) surveying(c *call, from *leg) bool {
	if c.media == nil || from == nil || from != c.agent || !c.talking || c.transferred || c.surveyed ||
		s.prompts == nil || s.prompts.get("survey") == nil {
		return false
	}
	c.surveyed = true
	return true
}

// runSurvey asks the caller, after the agent hung up, to rate the call by keypad: 1 满意, 2 基本
// 满意, 3 不满意. Any other key, or none within SurveyWait, repeats the question once. The rating
// is stored against the call and put on the linked ticket's timeline; then the caller hears the
// thanks and is hung up. A caller who hangs up first ends it.
func (s *Server) runSurvey(c *call, agent *leg) {
	m := c.media
	m.endOther()
	rating := ""
	for attempt := 0; attempt < 2 && rating == ""; attempt++ {
		m.flushDigits()
		if !m.playOnce("survey") {
			break
		}
		d, ok := m.waitDigit(s.cfg.SurveyWait)
		if !ok {
			break
		}
		rating = surveyRatings[d]
	}
	if rating != "" {
		s.storeRating(c, rating)
		m.playOnce("thanks")
	}
	s.hangup(c, agent)
}

// storeRating writes the rating, and an event on the linked ticket's timeline.
func (s *Server) storeRating(c *call, rating string) {
	c.mu.Lock()
	r := &Rating{CallID: c.rec.ID, Extension: c.rec.Extension, Rating: rating, RatedAt: s.clock.Now()}
	ticketID := c.rec.TicketID
	c.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err := runInTx(ctx, s.db, func(ctx context.Context, tx bun.IDB) error {
		if _, err := tx.NewInsert().Model(r).On("CONFLICT (call_id) DO NOTHING").Exec(ctx); err != nil {
			return err
		}
		if ticketID == nil {
			return nil
		}
		data, _ := json.Marshal(map[string]any{"call_id": r.CallID, "rating": rating, "extension": r.Extension})
		return tickets.AppendEvent(ctx, tx, &tickets.Event{TicketID: *ticketID, Kind: "call_rating", ActorName: "市民（citizen）",
			ActorRole: string(org.RoleCitizen), At: r.RatedAt, Body: "来电评价（rating of the call）：" + surveyWords[rating], Data: data})
	})
	if err != nil {
		s.log.Error("store call rating", "call_id", c.callID, "err", err)
		return
	}
	s.log.Info("call rated", "call_id", c.callID, "ext", r.Extension, "rating", rating)
}
