package telephony

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// RatingFigures are the post-call ratings (来电评价) of the calls one agent answered in a
// period, or of every call the centre answered.
type RatingFigures struct {
	// Extension is the agent's SIP extension (分机号); empty for the centre's figures.
	Extension string `json:"extension,omitempty"`
	// Name is the display name of the account holding the extension now; empty when none does.
	Name         string `json:"name,omitempty"`
	Answered     int    `json:"answered"`
	Rated        int    `json:"rated"`
	Satisfied    int    `json:"satisfied"`    // 满意
	Basically    int    `json:"basically"`    // 基本满意
	Dissatisfied int    `json:"dissatisfied"` // 不满意
	// RatingRate (参评率) is rated ÷ answered; nil when nothing was answered.
	RatingRate *float64 `json:"rating_rate"`
	// SatisfactionRate (满意率) is (satisfied + weight × basically) ÷ rated, weight being the
	// evaluation's worth of a 基本满意 (0.9 in Beijing's practice); nil when nothing was rated.
	SatisfactionRate *float64 `json:"satisfaction_rate"`
}

// RatingsFilter selects the calls of a rating report: those started in [From, To) and, with
// Extension, only that agent's.
type RatingsFilter struct {
	From, To  time.Time
	Extension string
	// Basically is what a 基本满意 counts for in the satisfaction rate (1 counts it fully).
	Basically float64
}

// Ratings reports the post-call ratings per agent, by extension, and the centre's totals
// over every agent's answered calls (with Extension, the totals are that agent's). A call
// counts in the period it started in, for the agent who answered it; calls still going on
// are left out until they end. Both rates are rounded to four places, as the scorecards'.
func Ratings(ctx context.Context, db bun.IDB, f RatingsFilter) (agents []RatingFigures, centre RatingFigures, err error) {
	ext := ""
	args := []any{f.Basically, f.From, f.To}
	if f.Extension != "" {
		ext = "AND cr.extension = ?"
		args = append(args, f.Extension)
	}
	// ROLLUP adds the centre's row (grouping = 1), which exists even when no call was answered.
	q := `SELECT x.extension, coalesce(st.display_name, '') AS name, x.total, x.answered, x.rated, x.satisfied, x.basically, x.dissatisfied,
			round(x.rated::numeric / nullif(x.answered, 0), 4)::float8 AS rating_rate,
			round((x.satisfied + x.weight * x.basically) / nullif(x.rated, 0), 4)::float8 AS satisfaction_rate
		FROM (SELECT coalesce(cr.extension, '') AS extension, grouping(cr.extension) = 1 AS total, CAST(? AS numeric) AS weight,
				count(*) AS answered, count(r.call_id) AS rated,
				count(*) FILTER (WHERE r.rating = 'satisfied') AS satisfied,
				count(*) FILTER (WHERE r.rating = 'basically') AS basically,
				count(*) FILTER (WHERE r.rating = 'dissatisfied') AS dissatisfied
			FROM call_records cr LEFT JOIN call_ratings r ON r.call_id = cr.id
			WHERE cr.started_at >= ? AND cr.started_at < ? AND cr.answered_at IS NOT NULL AND cr.extension <> ''
				AND cr.outcome <> 'in_progress' ` + ext + `
			GROUP BY ROLLUP (cr.extension)) x
		LEFT JOIN staff st ON st.sip_extension = x.extension AND NOT x.total
		ORDER BY x.total, x.extension`
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, centre, fmt.Errorf("call ratings: %w", err)
	}
	defer rows.Close()
	agents = []RatingFigures{}
	for rows.Next() {
		var r RatingFigures
		var total bool
		if err := rows.Scan(&r.Extension, &r.Name, &total, &r.Answered, &r.Rated, &r.Satisfied, &r.Basically, &r.Dissatisfied,
			&r.RatingRate, &r.SatisfactionRate); err != nil {
			return nil, centre, fmt.Errorf("call ratings: %w", err)
		}
		if total {
			r.Extension, r.Name = "", ""
			centre = r
			continue
		}
		agents = append(agents, r)
	}
	if err := rows.Err(); err != nil {
		return nil, centre, fmt.Errorf("call ratings: %w", err)
	}
	return agents, centre, nil
}
