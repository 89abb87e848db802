package web

import (
	"context"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/hotline-city/hotline/tickets"
)

// dupCandidate is an open ticket that may be about the same matter as the one being
// registered (并单 candidates).
type dupCandidate struct {
	Number      string         `json:"number"`
	Status      tickets.Status `json:"status"`
	Description string         `json:"description"`
	Address     string         `json:"address"`
	CreatedAt   time.Time      `json:"created_at"`
	Score       float64        `json:"score"`
	Reasons     []string       `json:"reasons"`
}

// dupWindow is how far back duplicates are looked for.
const dupWindow = 30 * 24 * time.Hour

// duplicates scores the open tickets of the last month against what is being registered: the
// same caller, the same category, a similar address, a similar description (character bigrams,
// which suit short Chinese texts without a dictionary). The best five above a threshold are
// returned.
func (s *Server) duplicates(ctx context.Context, phone, category, address, description string) ([]dupCandidate, error) {
	if phone == "" && address == "" && description == "" {
		return []dupCandidate{}, nil
	}
	ts, err := s.Tickets.List(ctx, actorFrom(ctx), tickets.Filter{
		Statuses: []tickets.Status{tickets.StatusRegistered, tickets.StatusDispatched, tickets.StatusAccepted, tickets.StatusReturned, tickets.StatusResolved},
		Since:    s.Clock.Now().Add(-dupWindow), Limit: 1000,
	})
	if err != nil {
		return nil, err
	}
	addrB, descB := bigrams(address), bigrams(description)
	out := []dupCandidate{}
	for _, t := range ts {
		var score float64
		var why []string
		if phone != "" && t.CallerPhone == phone {
			score += 0.4
			why = append(why, "phone")
		}
		if category != "" && t.Category != nil && t.Category.Code == category {
			score += 0.15
			why = append(why, "category")
		}
		if sim := dice(addrB, bigrams(t.Address)); sim > 0.5 {
			score += 0.3 * sim
			why = append(why, "address")
		}
		if sim := dice(descB, bigrams(t.Description)); sim > 0.3 {
			score += 0.5 * sim
			why = append(why, "description")
		}
		if score >= 0.35 {
			out = append(out, dupCandidate{Number: t.Number, Status: t.Status, Description: t.Description,
				Address: t.Address, CreatedAt: t.CreatedAt, Score: float64(int(score*100)) / 100, Reasons: why})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	if len(out) > 5 {
		out = out[:5]
	}
	return out, nil
}

// bigrams is the set of adjacent letter pairs of s, ignoring spaces and punctuation.
func bigrams(s string) map[string]bool {
	var rs []rune
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, r)
		}
	}
	set := map[string]bool{}
	for i := 0; i+1 < len(rs); i++ {
		set[string(rs[i:i+2])] = true
	}
	return set
}

// dice is the Sørensen–Dice similarity of two bigram sets, 0 when either is empty.
func dice(a, b map[string]bool) float64 {
	if len(a) == 0 || len(b) == 0 {
		return 0
	}
	n := 0
	for k := range a {
		if b[k] {
			n++
		}
	}
	return 2 * float64(n) / float64(len(a)+len(b))
}
