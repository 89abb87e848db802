package evaluation

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// Errors of the profile's versions.
var (
	ErrNotFound = errors.New("not found")
	// ErrNoDryRun refuses to adopt a version no dry run has shown.
	ErrNoDryRun = errors.New("adopt a version only after a dry run of it")
)

// Version is one stored version of the profile.
type Version struct {
	Version   int       `json:"version"`
	Note      string    `json:"note"`
	CreatedAt time.Time `json:"created_at"`
	CreatedBy string    `json:"created_by"`
	Adopted   bool      `json:"adopted"` // the one in force
	Profile   *Profile  `json:"profile"`
}

// Current is the profile in force: the last adopted version, or the default seeded as
// version 1 and adopted when none is.
func (e *Engine) Current(ctx context.Context) (*Profile, error) {
	p, err := e.adopted(ctx, e.db)
	if !errors.Is(err, ErrNotFound) {
		return p, err
	}
	err = e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('evaluation_profile'))"); err != nil {
			return err
		}
		if _, err := e.adopted(ctx, tx); !errors.Is(err, ErrNotFound) {
			return err
		}
		doc, _ := json.Marshal(Default())
		now := e.clock.Now()
		if _, err := tx.ExecContext(ctx, `INSERT INTO evaluation_profile_versions (version, document, note, created_at, created_by)
			VALUES (1, ?, 'seeded', ?, 'system') ON CONFLICT DO NOTHING`, string(doc), now); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO evaluation_adoptions (version, adopted_at, adopted_by) VALUES (1, ?, 'system')", now)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("seed evaluation profile: %w", err)
	}
	return e.adopted(ctx, e.db)
}

func (e *Engine) adopted(ctx context.Context, db bun.IDB) (*Profile, error) {
	var doc string
	var version int
	err := db.QueryRowContext(ctx, `SELECT v.version, v.document FROM evaluation_adoptions a
		JOIN evaluation_profile_versions v ON v.version = a.version ORDER BY a.id DESC LIMIT 1`).Scan(&version, &doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("evaluation profile: %w", err)
	}
	return decode(version, doc)
}

func decode(version int, doc string) (*Profile, error) {
	p := &Profile{}
	if err := json.Unmarshal([]byte(doc), p); err != nil {
		return nil, fmt.Errorf("evaluation profile %d: %w", version, err)
	}
	p.Version = version
	return p, nil
}

// Version reads one stored version.
func (e *Engine) Version(ctx context.Context, version int) (*Profile, error) {
	var doc string
	err := e.db.QueryRowContext(ctx, "SELECT document FROM evaluation_profile_versions WHERE version = ?", version).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("evaluation profile version %d: %w", version, ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("evaluation profile version %d: %w", version, err)
	}
	return decode(version, doc)
}

// Versions lists every version, newest first.
func (e *Engine) Versions(ctx context.Context) ([]Version, error) {
	cur, err := e.Current(ctx)
	if err != nil {
		return nil, err
	}
	rs, err := e.db.QueryContext(ctx, "SELECT version, document, note, created_at, created_by FROM evaluation_profile_versions ORDER BY version DESC")
	if err != nil {
		return nil, fmt.Errorf("evaluation profile versions: %w", err)
	}
	defer rs.Close()
	var out []Version
	for rs.Next() {
		var v Version
		var doc string
		if err := rs.Scan(&v.Version, &doc, &v.Note, &v.CreatedAt, &v.CreatedBy); err != nil {
			return nil, err
		}
		if v.Profile, err = decode(v.Version, doc); err != nil {
			return nil, err
		}
		v.Adopted = v.Version == cur.Version
		out = append(out, v)
	}
	return out, rs.Err()
}

// Propose stores p, validated, as the next version; it is not in force until adopted.
func (e *Engine) Propose(ctx context.Context, p *Profile, note, by string) (*Profile, error) {
	if _, err := e.Current(ctx); err != nil {
		return nil, err
	}
	known, err := e.categoryCodes(ctx)
	if err != nil {
		return nil, err
	}
	if err := p.Validate(func(c string) bool { return known[c] }); err != nil {
		return nil, err
	}
	err = e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext('evaluation_profile'))"); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) + 1 FROM evaluation_profile_versions").Scan(&p.Version); err != nil {
			return err
		}
		doc, err := json.Marshal(p)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO evaluation_profile_versions (version, document, note, created_at, created_by)
			VALUES (?, ?, ?, ?, ?)`, p.Version, string(doc), note, e.clock.Now(), by)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("propose evaluation profile: %w", err)
	}
	return p, nil
}

func (e *Engine) categoryCodes(ctx context.Context) (map[string]bool, error) {
	var codes []string
	if err := e.db.NewRaw("SELECT code FROM categories").Scan(ctx, &codes); err != nil {
		return nil, fmt.Errorf("categories: %w", err)
	}
	out := map[string]bool{}
	for _, c := range codes {
		out[c] = true
	}
	return out, nil
}

// DryRun is what a version would have scored over past months, beside the version in force.
type DryRun struct {
	ID      int64         `json:"id"`
	Version int           `json:"version"`
	Against int           `json:"against"`
	Months  []DryRunMonth `json:"months"`
}

// DryRunMonth is one month of a dry run: each department's score and indicators now and with
// the proposed version, and what changed.
type DryRunMonth struct {
	Period      string             `json:"period"`
	Departments []DryRunDepartment `json:"departments"`
}

// DryRunDepartment compares one department's figures under both versions.
type DryRunDepartment struct {
	Department string              `json:"department"`
	Name       string              `json:"name"`
	Group      [2]string           `json:"group"` // [current, proposed]
	Rank       [2]int              `json:"rank"`
	Score      [2]*float64         `json:"score"`
	Changed    []string            `json:"changed"` // indicator codes whose value changed, and "score"
	Current    map[string]*float64 `json:"current"`
	Proposed   map[string]*float64 `json:"proposed"`
}

// RunDry computes version over the months months before now's (most recent first) with both
// the proposed and the current profile, and stores the result: what an adoption may cite.
func (e *Engine) RunDry(ctx context.Context, version, months int, by string) (*DryRun, error) {
	if months < 1 || months > 36 {
		return nil, fmt.Errorf("months %d: from 1 to 36: %w", months, ErrPeriod)
	}
	proposed, err := e.Version(ctx, version)
	if err != nil {
		return nil, err
	}
	cur, err := e.Current(ctx)
	if err != nil {
		return nil, err
	}
	now := e.clock.Now().In(e.loc)
	month := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, e.loc)
	run := &DryRun{Version: version, Against: cur.Version}
	for i := 1; i <= months; i++ {
		start := month.AddDate(0, -i, 0)
		w := Window{Period: start.Format("2006-01"), Kind: KindMonth, From: start, To: start.AddDate(0, 1, 0)}
		a, err := e.Compute(ctx, cur, w)
		if err != nil {
			return nil, err
		}
		b, err := e.Compute(ctx, proposed, w)
		if err != nil {
			return nil, err
		}
		run.Months = append(run.Months, compare(w.Period, a, b))
	}
	doc, err := json.Marshal(run)
	if err != nil {
		return nil, err
	}
	if err := e.db.QueryRowContext(ctx, `INSERT INTO evaluation_dry_runs (version, against, result, run_at, run_by)
		VALUES (?, ?, ?, ?, ?) RETURNING id`, version, cur.Version, string(doc), e.clock.Now(), by).Scan(&run.ID); err != nil {
		return nil, fmt.Errorf("store dry run: %w", err)
	}
	return run, nil
}

func compare(period string, a, b *Scorecard) DryRunMonth {
	m := DryRunMonth{Period: period, Departments: []DryRunDepartment{}}
	seen := map[string]bool{}
	add := func(code string) {
		if seen[code] {
			return
		}
		seen[code] = true
		x, _ := a.Department(code)
		y, _ := b.Department(code)
		d := DryRunDepartment{Department: code, Current: map[string]*float64{}, Proposed: map[string]*float64{}}
		if x != nil {
			d.Name, d.Group[0], d.Rank[0], d.Score[0], d.Current = x.Name, x.Group, x.Rank, x.Score, x.Indicators
		}
		if y != nil {
			d.Name, d.Group[1], d.Rank[1], d.Score[1], d.Proposed = y.Name, y.Group, y.Rank, y.Score, y.Indicators
		}
		codes := map[string]bool{}
		for c := range d.Current {
			codes[c] = true
		}
		for c := range d.Proposed {
			codes[c] = true
		}
		for _, in := range append(append([]Indicator{}, a.profile.Indicators...), b.profile.Indicators...) {
			if codes[in.Code] && !sameValue(d.Current[in.Code], d.Proposed[in.Code]) && !contains(d.Changed, in.Code) {
				d.Changed = append(d.Changed, in.Code)
			}
		}
		if !sameValue(d.Score[0], d.Score[1]) {
			d.Changed = append(d.Changed, "score")
		}
		if d.Changed == nil {
			d.Changed = []string{}
		}
		m.Departments = append(m.Departments, d)
	}
	for _, d := range b.Departments {
		add(d.Code)
	}
	for _, d := range a.Departments {
		add(d.Code)
	}
	return m
}

func contains(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func sameValue(a, b *float64) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// Adopt puts version in force. It must have had a dry run against the version in force now.
func (e *Engine) Adopt(ctx context.Context, version int, by string) error {
	cur, err := e.Current(ctx)
	if err != nil {
		return err
	}
	if _, err := e.Version(ctx, version); err != nil {
		return err
	}
	var run int64
	err = e.db.QueryRowContext(ctx, "SELECT id FROM evaluation_dry_runs WHERE version = ? AND against = ? ORDER BY id DESC LIMIT 1",
		version, cur.Version).Scan(&run)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("version %d against %d: %w", version, cur.Version, ErrNoDryRun)
	} else if err != nil {
		return fmt.Errorf("adopt evaluation profile %d: %w", version, err)
	}
	if _, err := e.db.ExecContext(ctx, "INSERT INTO evaluation_adoptions (version, dry_run_id, adopted_at, adopted_by) VALUES (?, ?, ?, ?)",
		version, run, e.clock.Now(), by); err != nil {
		return fmt.Errorf("adopt evaluation profile %d: %w", version, err)
	}
	return nil
}
