// Command kb measures the knowledge base's Chinese-aware search (character unigrams and
// bigrams in a generated tsvector with a GIN index, ranked) against the substring scan it
// replaced (ILIKE '%word%' on title, keywords and text), in the same run on the same rows: the
// demo city's articles and as many synthetic ones made by joining their texts. For each query
// of two- and three-character words it prints both ways' matches (they must agree) and
// latencies, then p50/p99 over all queries.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/hotline-city/hotline/bench/internal/benchdb"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/kb"
)

// queries are what agents type: two- and three-character words, one character, and two words.
var queries = []string{
	"欠薪", "社保", "医保", "停电", "暖气", "退货", "低保", "年检", "落户", "产假", "发票", "燃气", "噪声", "油烟",
	"公积金", "居住证", "驾驶证", "身份证", "物业费", "充电桩", "失业金", "营业执照", "税", "社保卡 补办", "拖欠 工资",
}

func main() {
	articles := flag.Int("articles", 50000, "synthetic articles added to the demo city's")
	reps := flag.Int("reps", 20, "runs of each query each way")
	dir := flag.String("dir", "var/bench", "where the private cluster lives")
	flag.Parse()
	if err := run(*articles, *reps, *dir); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n, reps int, dir string) error {
	ctx := context.Background()
	bdb, err := benchdb.Fresh(ctx, dir, "bench_kb", 4, benchdb.DemoCity)
	if err != nil {
		return err
	}
	defer bdb.Close()
	db := bdb.DB
	start := time.Now()
	// Each synthetic article joins two demo articles' texts, so words occur as often as in
	// real answers and every row is different.
	if _, err := db.ExecContext(ctx, `
		WITH src AS (SELECT row_number() OVER (ORDER BY id) - 1 AS i, title, body, keywords, category_code, source, department_id FROM kb_articles),
		     k AS (SELECT count(*) AS n FROM src)
		INSERT INTO kb_articles (code, title, body, keywords, category_code, source, valid_from, status, version, active, updated_at, updated_by, department_id)
		SELECT 'syn-' || g, a.title || '（' || g || '）', a.body || b.body, a.keywords, a.category_code, a.source, DATE '2026-01-01',
		       'published', 1, true, now(), 'bench', a.department_id
		FROM generate_series(1, ?) g, k
		JOIN src a ON true JOIN src b ON true
		WHERE a.i = g % k.n AND b.i = (g * 7919 / k.n) % k.n`, n); err != nil {
		return fmt.Errorf("add synthetic articles: %w", err)
	}
	if _, err := db.ExecContext(ctx, "VACUUM ANALYZE kb_articles"); err != nil {
		return err
	}
	var total int
	var size string
	db.QueryRowContext(ctx, "SELECT count(*), pg_size_pretty(pg_relation_size('kb_articles_search')) FROM kb_articles").Scan(&total, &size)
	fmt.Printf("articles: %d (loaded in %s), GIN index %s, %d runs of each query each way\n", total, time.Since(start).Round(time.Second), size, reps)

	loc, _ := time.LoadLocation("Asia/Shanghai")
	svc := kb.NewService(db, clock.System{}, loc)
	var fast, slow []time.Duration
	fmt.Printf("%-12s %8s %8s %10s %10s\n", "query", "matches", "scan", "p50 index", "p50 scan")
	for _, q := range queries {
		pq, err := kb.ParseQuery(q)
		if err != nil {
			return err
		}
		var matches, scanMatches int
		cond, cargs := pq.Condition("kb.search", "kb.title || ' ' || kb.keywords || ' ' || kb.body")
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM kb_articles kb WHERE "+cond, cargs...).Scan(&matches); err != nil {
			return err
		}
		scanWhere, args := likeWhere(q)
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM kb_articles kb WHERE "+scanWhere, args...).Scan(&scanMatches); err != nil {
			return err
		}
		var qf, qs []time.Duration
		for i := range reps + 1 { // the first run of each warms the cache and is not counted
			t0 := time.Now()
			// The service's own query: offered articles, ranked, the first 20.
			if _, err := svc.Search(ctx, q, ""); err != nil {
				return err
			}
			if i > 0 {
				qf = append(qf, time.Since(t0))
			}
			t0 = time.Now()
			// The scan it replaced: the same filter by ILIKE, titles first, the first 20.
			rows, err := db.QueryContext(ctx, `SELECT kb.id FROM kb_articles kb WHERE kb.active AND kb.status = 'published'
				AND kb.valid_from <= current_date AND (kb.valid_until IS NULL OR kb.valid_until >= current_date) AND `+scanWhere+
				` ORDER BY (kb.title ILIKE ?) DESC, kb.title LIMIT 20`, append(args, args[0])...)
			if err != nil {
				return err
			}
			for rows.Next() {
			}
			rows.Close()
			if i > 0 {
				qs = append(qs, time.Since(t0))
			}
		}
		fmt.Printf("%-12s %8d %8d %10s %10s\n", q, matches, scanMatches, pct(qf, 50), pct(qs, 50))
		fast, slow = append(fast, qf...), append(slow, qs...)
	}
	f50, f99, s50, s99 := pct(fast, 50), pct(fast, 99), pct(slow, 50), pct(slow, 99)
	fmt.Printf("index search: p50 %s p99 %s\n", f50, f99)
	fmt.Printf("ILIKE scan:   p50 %s p99 %s\n", s50, s99)
	fmt.Printf("speed-up:     p50 %.0fx p99 %.0fx\n", float64(s50)/float64(f50), float64(s99)/float64(f99))
	return nil
}

// likeWhere is the old search's condition: every word in the title, keywords or text.
func likeWhere(q string) (string, []any) {
	var conds []string
	var args []any
	for _, w := range strings.Fields(q) {
		p := "%" + w + "%"
		conds = append(conds, "(kb.title ILIKE ? OR kb.keywords ILIKE ? OR kb.body ILIKE ?)")
		args = append(args, p, p, p)
	}
	return strings.Join(conds, " AND "), args
}

func pct(ds []time.Duration, p int) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	if i > 0 {
		i--
	}
	return s[i].Round(10 * time.Microsecond)
}
