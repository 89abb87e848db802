package routing

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// Similarity is the Jaccard similarity, 0..1, of the character bigrams of
// two texts: letters, digits and Han characters count, case, width, spaces
// and punctuation do not. A text of one character is its own only bigram.
func Similarity(a, b string) float64 {
	x, y := bigrams(a), bigrams(b)
	if len(x) == 0 || len(y) == 0 {
		return 0
	}
	inter := 0
	for g := range x {
		if y[g] {
			inter++
		}
	}
	return float64(inter) / float64(len(x)+len(y)-inter)
}

func bigrams(s string) map[string]bool {
	var rs []rune
	for _, r := range foldString(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			rs = append(rs, r)
		}
	}
	out := map[string]bool{}
	if len(rs) == 1 {
		out[string(rs)] = true
	}
	for i := 0; i+1 < len(rs); i++ {
		out[string(rs[i:i+2])] = true
	}
	return out
}

// DuplicateQuery describes a request being registered, to find earlier
// tickets about the same matter (并单候选).
type DuplicateQuery struct {
	Phone    string
	Address  string
	Category string // category code
	Text     string
	// Exclude is the number of the ticket itself, when it exists already.
	Exclude string
}

// Candidate is an earlier open ticket that may be about the same matter.
type Candidate struct {
	Number       string         `json:"number"`
	Status       tickets.Status `json:"status"`
	Title        string         `json:"title"`
	Description  string         `json:"description"`
	Address      string         `json:"address"`
	Category     string         `json:"category"`
	Department   string         `json:"department"`
	CreatedAt    time.Time      `json:"created_at"`
	SamePhone    bool           `json:"same_phone"`
	SameAddress  bool           `json:"same_address"`
	SameCategory bool           `json:"same_category"`
	// Similarity is the bigram Jaccard similarity of the two texts.
	Similarity float64 `json:"similarity"`
	// Score ranks the candidates: similarity plus weight for the same
	// caller and the same place.
	Score float64  `json:"score"`
	Why   []string `json:"why"`
}

// Thresholds of duplicate detection.
const (
	// similarSameCategory is the text similarity that makes a ticket of the
	// same category a candidate on its own.
	similarSameCategory = 0.3
	// similarAny is the text similarity that makes any ticket a candidate.
	similarAny = 0.5
	// similarAddress is the address similarity that counts as the same place.
	similarAddress = 0.7
)

// Duplicates returns up to ten open, unmerged tickets of the last
// DuplicateDays that may be about the same matter as q: by the same phone,
// at the same address in the same category, or with similar text — best
// candidate first.
func (s *Service) Duplicates(ctx context.Context, q DuplicateQuery) ([]Candidate, error) {
	q.Phone, q.Address, q.Category, q.Text = strings.TrimSpace(q.Phone), strings.TrimSpace(q.Address), strings.TrimSpace(q.Category), strings.TrimSpace(q.Text)
	if q.Phone == "" && q.Address == "" && q.Text == "" {
		return nil, fieldErr("text", "give a phone, an address or a text to compare")
	}
	var catID int64
	if q.Category != "" {
		c, err := org.NewStore(s.db).Category(ctx, q.Category)
		if err != nil {
			return nil, fieldErr("category", "unknown category %q", q.Category)
		}
		catID = c.ID
	}
	since := s.clock.Now().Add(-time.Duration(s.dupDays) * 24 * time.Hour)
	type row struct {
		Number      string
		Status      tickets.Status
		Title       string
		Description string
		Address     string
		CallerPhone string
		CategoryID  *int64
		Category    string
		Department  string
		CreatedAt   time.Time
	}
	var rows []row
	// The newest open tickets of the window; the text comparison is done
	// here rather than in SQL, over at most a few thousand rows.
	err := s.db.NewRaw(`SELECT t.number, t.status, t.title, t.description, t.address, t.caller_phone, t.category_id,
			coalesce(c.code, '') AS category, coalesce(d.code, '') AS department, t.created_at
		FROM tickets t
		LEFT JOIN categories c ON c.id = t.category_id
		LEFT JOIN departments d ON d.id = t.department_id
		WHERE t.created_at >= ? AND t.master_id IS NULL AND t.status <> ? AND t.number <> ?
			AND ((? <> '' AND t.caller_phone = ?) OR t.category_id = ? OR (? <> '' AND t.address = ?) OR ? <> '')
		ORDER BY t.id DESC
		LIMIT 3000`,
		since, tickets.StatusClosed, q.Exclude, q.Phone, q.Phone, catID, q.Address, q.Address, q.Text).Scan(ctx, &rows)
	if err != nil {
		return nil, fmt.Errorf("duplicate candidates: %w", err)
	}
	var out []Candidate
	for _, r := range rows {
		c := Candidate{Number: r.Number, Status: r.Status, Title: r.Title, Description: r.Description, Address: r.Address,
			Category: r.Category, Department: r.Department, CreatedAt: r.CreatedAt}
		c.SamePhone = q.Phone != "" && r.CallerPhone == q.Phone
		c.SameCategory = catID != 0 && r.CategoryID != nil && *r.CategoryID == catID
		c.SameAddress = q.Address != "" && r.Address != "" && (foldString(r.Address) == foldString(q.Address) || Similarity(r.Address, q.Address) >= similarAddress)
		if q.Text != "" {
			c.Similarity = Similarity(q.Text, strings.TrimSpace(r.Title+" "+r.Description))
		}
		if c.SamePhone {
			c.Why = append(c.Why, "同一来电号码 same phone")
		}
		if c.SameAddress && c.SameCategory {
			c.Why = append(c.Why, "同一地址同一分类 same address and category")
		}
		if c.Similarity > 0 {
			c.Why = append(c.Why, fmt.Sprintf("文本相似度 text similarity %.2f", c.Similarity))
		}
		if !(c.SamePhone || (c.SameAddress && c.SameCategory) ||
			(c.SameCategory && c.Similarity >= similarSameCategory) || c.Similarity >= similarAny) {
			continue
		}
		c.Score = c.Similarity
		if c.SamePhone {
			c.Score += 0.4
		}
		if c.SameAddress && c.SameCategory {
			c.Score += 0.3
		} else if c.SameCategory {
			c.Score += 0.1
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, func(a, b Candidate) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), b.CreatedAt.Compare(a.CreatedAt))
	})
	if len(out) > 10 {
		out = out[:10]
	}
	return out, nil
}
