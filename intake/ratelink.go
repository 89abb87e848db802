package intake

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hotline-city/hotline/tickets"
)

// RatingLinkTTL is how long the rating link sent by SMS at resolution can be used.
const RatingLinkTTL = 7 * 24 * time.Hour

// RatingToken is the token of the rating link sent by SMS when a ticket is resolved: the
// ticket's number and the resolution asked about (its reopen count), with an expiry, signed
// with the intake secret (HMAC-SHA256) so nobody can make one for another ticket. The link
// opens the same three questions as /track, recorded as a return visit of the sms channel.
func (s *Service) RatingToken(number string, round int) string {
	return s.sign("rate-sms", number+"|"+strconv.Itoa(round), s.clock.Now().Add(RatingLinkTTL))
}

// readRatingToken reads a rating link's token: ErrLinkExpired when it is forged, expired or
// no token at all.
func (s *Service) readRatingToken(tok string) (string, int, error) {
	payload, ok := s.verify("rate-sms", tok)
	if !ok {
		return "", 0, fmt.Errorf("rating link: %w", ErrLinkExpired)
	}
	number, roundText, _ := strings.Cut(payload, "|")
	round, err := strconv.Atoi(roundText)
	if err != nil {
		return "", 0, fmt.Errorf("rating link: %w", ErrLinkExpired)
	}
	return number, round, nil
}

// RatingLinkView is what the rating page shows: the ticket's number, its result and when
// the link stops working. Nothing else of the ticket: the link may be forwarded.
type RatingLinkView struct {
	Number     string
	Resolution string
	ResultType string
}

// OpenRatingLink checks a rating link before the citizen answers: ErrLinkExpired when it is
// past its time or its resolution was reopened since, ErrAlreadyRated when it was used.
func (s *Service) OpenRatingLink(ctx context.Context, tok string) (*RatingLinkView, error) {
	number, round, err := s.readRatingToken(tok)
	if err != nil {
		return nil, err
	}
	t, err := s.tickets.Get(ctx, number)
	if errors.Is(err, tickets.ErrNotFound) {
		return nil, fmt.Errorf("rating link: %w", ErrLinkExpired)
	} else if err != nil {
		return nil, err
	}
	if t.ReopenCount != round || !rateable(t) {
		return nil, fmt.Errorf("rating link of %s: %w", number, ErrLinkExpired)
	}
	used, err := s.db.NewSelect().Table("intake_ratings").Where("ticket_id = ? AND resolution = ?", t.ID, round).Exists(ctx)
	if err != nil {
		return nil, fmt.Errorf("rating link of %s: %w", number, err)
	}
	if used {
		return nil, fmt.Errorf("rating link of %s: %w", number, ErrAlreadyRated)
	}
	return &RatingLinkView{Number: t.Number, Resolution: t.Resolution, ResultType: t.ResultType}, nil
}

// RateByLink records the answers given through a rating link, once: a second use is
// ErrAlreadyRated and records nothing; an expired link, ErrLinkExpired.
func (s *Service) RateByLink(ctx context.Context, addr, tok string, in RatingInput) (string, error) {
	number, round, err := s.readRatingToken(tok)
	if err != nil {
		return "", err
	}
	if err := s.allowTrack(addr); err != nil {
		return "", err
	}
	if err := s.rate(ctx, number, round, "sms", in); err != nil {
		return "", err
	}
	return number, nil
}
