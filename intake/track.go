package intake

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/tickets"
)

// Ratings (评价) a citizen gives a resolution.
const (
	Satisfied          = "satisfied"           // 满意
	BasicallySatisfied = "basically_satisfied" // 基本满意
	Dissatisfied       = "dissatisfied"        // 不满意: reopens the ticket (重办)
)

// Ratings lists the ratings, best first.
var Ratings = []string{Satisfied, BasicallySatisfied, Dissatisfied}

// RatingZh is the Chinese name of a rating.
func RatingZh(r string) string {
	switch r {
	case Satisfied:
		return "满意"
	case BasicallySatisfied:
		return "基本满意"
	case Dissatisfied:
		return "不满意"
	}
	return r
}

// Rating is one rating of one resolution.
type Rating struct {
	ID         int64
	Resolution int
	Rating     string
	Comment    string
	CreatedAt  time.Time
}

// TrackView is what a citizen sees of their ticket.
type TrackView struct {
	Ticket  *tickets.Ticket
	Events  []tickets.Event // public entries only
	Ratings []Rating
	CanRate bool   // resolved and this resolution not rated yet
	Access  string // token that lets the holder rate without giving the phone again
}

// Track looks a ticket up by its number and the phone number it was made with. A wrong pair
// answers ErrNotFound exactly like a missing ticket, and every look-up from addr counts
// against its limit, so numbers cannot be enumerated.
func (s *Service) Track(ctx context.Context, addr, number, phone string) (*TrackView, error) {
	var errs FieldErrors
	number, phone = strings.TrimSpace(number), strings.TrimSpace(phone)
	if number == "" {
		errs.add("number", "required", "is required")
	}
	if phone == "" {
		errs.add("phone", "required", "is required")
	}
	if len(errs) > 0 {
		return nil, errs
	}
	if err := s.allowTrack(addr); err != nil {
		return nil, err
	}
	norm, err := NormalizePhone(phone)
	if err != nil || len(number) > 40 {
		return nil, fmt.Errorf("track %s: %w", number, ErrNotFound)
	}
	// Every look-up takes a token from the city-wide budget of failures and hands it back
	// when it matches: once the budget is spent, look-ups wait whoever sends them.
	now := s.clock.Now()
	failure, allowed, wait := s.trackFail.Reserve("", s.cfg.TrackFailures, now)
	if !allowed {
		s.log.WarnContext(ctx, "failed tracking look-ups over the city-wide limit", "client_addr", addr)
		return nil, fmt.Errorf("too many failed look-ups, try again in %s: %w", wait.Round(time.Second), ErrRateLimited)
	}
	var ok bool
	err = s.db.QueryRowContext(ctx, "SELECT true FROM tickets WHERE number = ? AND caller_phone = ? AND caller_phone <> ''", number, norm).Scan(&ok)
	if err == nil {
		failure.Refund(now)
	}
	if errors.Is(err, sql.ErrNoRows) {
		s.log.InfoContext(ctx, "tracking look-up failed", "client_addr", addr, "phone", tickets.MaskPhone(norm))
		return nil, fmt.Errorf("track %s: %w", number, ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("track %s: %w", number, err)
	}
	return s.view(ctx, number)
}

// TrackWithAccess shows the ticket an access token from Track was issued for.
func (s *Service) TrackWithAccess(ctx context.Context, access string) (*TrackView, error) {
	number, ok := s.verify("track", access)
	if !ok {
		return nil, fmt.Errorf("tracking access expired or invalid: %w", ErrNotFound)
	}
	return s.view(ctx, number)
}

func (s *Service) allowTrack(addr string) error {
	if ok, wait := s.trackAddr.Allow(addr, s.cfg.TrackPerAddress, s.clock.Now()); !ok {
		return fmt.Errorf("too many look-ups, try again in %s: %w", wait.Round(time.Second), ErrRateLimited)
	}
	return nil
}

func (s *Service) view(ctx context.Context, number string) (*TrackView, error) {
	t, err := s.tickets.Get(ctx, number)
	if errors.Is(err, tickets.ErrNotFound) {
		return nil, fmt.Errorf("track %s: %w", number, ErrNotFound)
	} else if err != nil {
		return nil, err
	}
	v := &TrackView{Ticket: t, Access: s.accessToken(number)}
	if v.Events, err = s.tickets.Events(ctx, t.ID, false); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT id, resolution, rating, comment, created_at FROM intake_ratings WHERE ticket_id = ? ORDER BY id", t.ID)
	if err != nil {
		return nil, fmt.Errorf("ratings of %s: %w", number, err)
	}
	defer rows.Close()
	rated := false
	for rows.Next() {
		var r Rating
		if err := rows.Scan(&r.ID, &r.Resolution, &r.Rating, &r.Comment, &r.CreatedAt); err != nil {
			return nil, fmt.Errorf("ratings of %s: %w", number, err)
		}
		rated = rated || r.Resolution == t.ReopenCount
		v.Ratings = append(v.Ratings, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	v.CanRate = rateable(t) && !rated
	return v, nil
}

// rateable reports whether the citizen may rate t: it is resolved or closed, and handled on
// its own. A ticket merged into another (并单) is rated and visited as its master: the matter
// is evaluated once.
func rateable(t *tickets.Ticket) bool {
	return t.ResolvedAt != nil && (t.Status == tickets.StatusResolved || t.Status == tickets.StatusClosed) && !t.Merged()
}

// RatingInput is the citizen's own return visit on /track: did the department contact you,
// is the matter solved (solved, partly, unsolved), how satisfied are you, and their words.
type RatingInput struct {
	Rating    string
	Contacted *bool
	Solved    string
	Comment   string
}

// visitSatisfaction is a rating as a return visit records it.
var visitSatisfaction = map[string]string{Satisfied: "satisfied", BasicallySatisfied: "basically", Dissatisfied: "dissatisfied"}

// Rate records the citizen's rating of the ticket's current resolution, once, on its timeline,
// and with it the return visit (回访) as done; 不满意 (dissatisfied) reopens the ticket (重办) in the same transaction, with the comment as
// the reason.
func (s *Service) Rate(ctx context.Context, addr, access string, in RatingInput) (*TrackView, error) {
	number, ok := s.verify("track", access)
	if !ok {
		return nil, fmt.Errorf("tracking access expired or invalid: %w", ErrNotFound)
	}
	if err := s.allowTrack(addr); err != nil {
		return nil, err
	}
	if err := s.rate(ctx, number, -1, "web", in); err != nil {
		return nil, err
	}
	return s.view(ctx, number)
}

// checkRating checks the citizen's answers, naming each field that is wrong.
func checkRating(in *RatingInput) error {
	var errs FieldErrors
	in.Comment = strings.TrimSpace(in.Comment)
	if RatingZh(in.Rating) == in.Rating {
		errs.add("rating", "rating", "choose 满意, 基本满意 or 不满意")
	}
	checkText(&errs, "comment", in.Comment, MaxComment, true)
	if in.Contacted == nil {
		errs.add("contacted", "required", "is required")
	}
	if !slices.Contains(tickets.VisitSolved, in.Solved) {
		errs.add("solved", "required", "is required")
	}
	if (in.Rating == Dissatisfied || in.Solved == "unsolved") && in.Comment == "" && !errs.Has("comment") {
		errs.add("comment", "comment_needed", "say what is still wrong, so the department can redo it")
	}
	if len(errs) > 0 {
		return errs
	}
	return nil
}

// rate records the rating of the ticket's current resolution (round: the resolution the
// citizen was asked about, -1 for whichever is current) as a return visit of channel, once.
func (s *Service) rate(ctx context.Context, number string, round int, channel string, in RatingInput) error {
	if err := checkRating(&in); err != nil {
		return err
	}
	rating, comment := in.Rating, in.Comment
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		t := new(tickets.Ticket)
		if err := tx.NewSelect().Model(t).Where("t.number = ?", number).For("UPDATE").Scan(ctx); err != nil {
			return fmt.Errorf("rate %s: %w", number, err)
		}
		if round >= 0 && round != t.ReopenCount {
			return fmt.Errorf("rate %s: the link was for an earlier resolution: %w", number, ErrLinkExpired)
		}
		if !rateable(t) {
			return fmt.Errorf("rate %s: %w", number, ErrNotRateable)
		}
		now := s.clock.Now()
		var id int64
		err := tx.QueryRowContext(ctx, `INSERT INTO intake_ratings (ticket_id, resolution, rating, comment, created_at)
			VALUES (?, ?, ?, ?, ?) ON CONFLICT (ticket_id, resolution) DO NOTHING RETURNING id`,
			t.ID, t.ReopenCount, rating, comment, now).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("rate %s: %w", number, ErrAlreadyRated)
		} else if err != nil {
			return fmt.Errorf("rate %s: %w", number, err)
		}
		actor := tickets.Citizen(t.CallerName)
		body := RatingZh(rating)
		if comment != "" {
			body += "：" + comment
		}
		raw := fmt.Appendf(nil, `{"rating":%q,"rating_id":%d,"resolution":%d,"channel":%q}`, rating, id, t.ReopenCount, channel)
		if err := tickets.AppendEvent(ctx, tx, &tickets.Event{TicketID: t.ID, Kind: "rated", ActorName: actor.Name,
			ActorRole: string(actor.Role), At: now, Public: true, FromStatus: string(t.Status), ToStatus: string(t.Status),
			Body: body, Data: raw}); err != nil {
			return err
		}
		// The citizen's own rating is the return visit (回访) of this resolution, of the web
		// channel (or sms, through the link sent at resolution): it stops the visit clock,
		// counts in the department's 三率, and an unsolved matter or a dissatisfied citizen
		// sends the ticket back (重办).
		_, _, err = s.tickets.RecordVisitTx(ctx, tx, actor, number, tickets.VisitInput{Channel: channel, Outcome: "reached",
			Contacted: in.Contacted, Solved: in.Solved, Satisfaction: visitSatisfaction[rating], Comment: comment})
		return err
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "ticket rated", "ticket_no", number, "rating", rating, "channel", channel)
	return nil
}
