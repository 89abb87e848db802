// Command search measures the ticket search (Chinese words through the search_ngrams GIN index,
// phone suffixes through the right(caller_phone, 4) index, filters, keyset pages) over millions
// of tickets with Chinese descriptions, against the plain LIKE '%…%' scan (and OFFSET paging)
// the same page and capped total would need without them, in the same run on the same rows.
// Each case is the service's own call (ListPage for a supervisor: a page of 50 and the total
// up to tickets.CountCap); it prints both ways' totals (they must agree), p50/p99 per case, and
// p50/p99 over all cases.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"

	"github.com/hotline-city/hotline/bench/internal/benchdb"
	"github.com/hotline-city/hotline/internal/clock"
	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/internal/workcal"
	"github.com/hotline-city/hotline/tickets"
)

// What citizens say, in three parts joined into a description: who or where, what is wrong,
// what they ask; one ticket in a thousand also mentions a gas leak. The words searched for
// occur in some parts only: in one ticket in 5 to one in 1,000.
var (
	subjects = []string{
		"小区楼下烧烤店", "隔壁建筑工地", "我们单位老板", "小区物业公司", "楼上住户", "路口的商铺", "幼儿园旁边的饭店",
		"公司人事部门", "市场里的摊贩", "本村的养殖场", "新开的健身房", "地铁站出口", "老旧小区的电梯", "学校门口的小卖部",
		"附近的加油站", "街道办事处", "出租车司机", "快递公司网点", "房地产开发商", "社区医院",
	}
	problems = []string{
		"夜间噪音扰民严重", "拖欠工资三个月，属于欠薪", "油烟直排影响居民", "已经停水两天", "屋顶漏水无人维修",
		"物业费收费不合理", "充电桩安装被物业阻挠", "公积金提取被拒绝", "占道经营影响通行", "垃圾堆放无人清运",
		"路灯坏了很久没修", "售卖过期食品", "乱收费不开发票", "车辆乱停乱放", "违法搭建阳台", "道路破损有坑",
		"无证经营", "拒绝办理退货", "深夜施工不停", "不按规定缴纳社保",
	}
	asks = []string{
		"请尽快处理。", "希望相关部门核实。", "要求给个说法。", "已经反映多次，请督办。", "请安排人员上门查看。",
		"希望答复处理结果。", "请依法查处。", "盼早日解决。", "",
	}
	districts = []string{"东城区", "西城区", "朝阳区", "海淀区", "丰台区", "石景山区", "通州区", "顺义区", "昌平区", "大兴区"}
	streets   = []string{"安定门大街", "建国路", "中关村大街", "金融街", "长安街", "望京西路", "学院路", "丽泽路", "新华大街", "回龙观东大街", "黄村西大街", "石景山路"}
	results   = []string{"已联系诉求人并现场核实处理。", "已责令整改，诉求人表示认可。", "经核实情况不属实。", "已告知相关政策。"}
)

// A case is one search: the filter the service gets and the scan's WHERE for the same tickets.
type searchCase struct {
	name  string
	f     tickets.Filter
	scan  string // condition on tickets t, without the index's help
	args  []any
	order string // the scan's ORDER BY
	// offset is where the scan's page starts (OFFSET paging, as without a cursor)
	offset int
}

const textExpr = "(t.description || ' ' || t.address || ' ' || t.title || ' ' || t.resolution)"

func main() {
	n := flag.Int("tickets", 1_000_000, "tickets to load (5000000 for the issue's figure; loading takes long)")
	reps := flag.Int("reps", 20, "runs of each case each way")
	dir := flag.String("dir", "var/bench", "where the private cluster lives")
	keep := flag.Bool("keep", false, "keep the database loaded for a later run (-reuse)")
	reuse := flag.String("reuse", "", "measure on this database kept by an earlier run instead of loading one")
	flag.Parse()
	if err := run(*n, *reps, *dir, *keep, *reuse); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(n, reps int, dir string, keep bool, reuse string) error {
	ctx := context.Background()
	var bdb *benchdb.DB
	var err error
	if reuse != "" {
		bdb, err = benchdb.Existing(ctx, dir, reuse, 4)
	} else {
		bdb, err = benchdb.Fresh(ctx, dir, "bench_search", 4, benchdb.DemoCity)
	}
	if err != nil {
		return err
	}
	bdb.Keep = keep || reuse != ""
	defer bdb.Close()
	db := bdb.DB
	now := time.Now().UTC().Truncate(time.Second)
	start := time.Now()
	if reuse == "" {
		if err := load(ctx, db, n, now); err != nil {
			return err
		}
	} else {
		// The tickets were loaded before and have aged since: the cases' dates are taken
		// from now, as a desk would.
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM tickets").Scan(&n); err != nil {
			return err
		}
	}
	if keep {
		fmt.Printf("database %s is kept: measure it again with -reuse %s\n", bdb.Name(), bdb.Name())
	}
	var size, total string
	db.QueryRowContext(ctx, "SELECT pg_size_pretty(pg_relation_size('tickets_search_idx')), pg_size_pretty(pg_total_relation_size('tickets'))").Scan(&size, &total)
	how := fmt.Sprintf("loaded and indexed in %s", time.Since(start).Round(time.Second))
	if reuse != "" {
		how = "database " + reuse + " as loaded before"
	}
	fmt.Printf("tickets: %d (%s), tickets with indexes %s, search GIN index %s, %d runs of each case each way\n",
		n, how, total, size, reps)

	loc, _ := time.LoadLocation("Asia/Shanghai")
	days, err := workcal.Seed()
	if err != nil {
		return err
	}
	svc := tickets.NewService(db, clock.NewFixed(now), workcal.New(days, loc, workcal.DefaultHours), loc, slog.New(slog.DiscardHandler))
	sup := tickets.Actor{Name: "bench", Role: org.RoleSupervisor}
	cases, err := buildCases(ctx, db, n, now)
	if err != nil {
		return err
	}
	var fast, slow []time.Duration
	fmt.Printf("%-28s %8s %8s %10s %10s %10s %10s\n", "case", "total", "scan", "p50 index", "p99 index", "p50 scan", "p99 scan")
	for _, c := range cases {
		var qf, qs []time.Duration
		var got, want int
		for i := range reps + 1 { // the first run of each warms the cache and is not counted
			t0 := time.Now()
			p, err := svc.ListPage(ctx, sup, c.f)
			if err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			if i > 0 {
				qf = append(qf, time.Since(t0))
			}
			got = p.Total
			t0 = time.Now()
			if want, err = scan(ctx, db, c); err != nil {
				return fmt.Errorf("%s scan: %w", c.name, err)
			}
			if i > 0 {
				qs = append(qs, time.Since(t0))
			}
		}
		fmt.Printf("%-28s %8d %8d %10s %10s %10s %10s\n", c.name, got, want, pct(qf, 50), pct(qf, 99), pct(qs, 50), pct(qs, 99))
		fast, slow = append(fast, qf...), append(slow, qs...)
	}
	f50, f99, s50, s99 := pct(fast, 50), pct(fast, 99), pct(slow, 50), pct(slow, 99)
	fmt.Printf("index search: p50 %s p99 %s\n", f50, f99)
	fmt.Printf("LIKE scan:    p50 %s p99 %s\n", s50, s99)
	fmt.Printf("speed-up:     p50 %.0fx p99 %.0fx\n", float64(s50)/float64(f50), float64(s99)/float64(f99))
	return nil
}

// scan is the same page and capped total without the search indexes: the LIKE condition, the
// page by OFFSET, the total counted up to tickets.CountCap.
func scan(ctx context.Context, db *bun.DB, c searchCase) (int, error) {
	rows, err := db.QueryContext(ctx, "SELECT t.id FROM tickets t WHERE "+c.scan+" ORDER BY "+c.order+
		" LIMIT 51 OFFSET "+strconv.Itoa(c.offset), c.args...)
	if err != nil {
		return 0, err
	}
	for rows.Next() {
	}
	rows.Close()
	var n int
	err = db.QueryRowContext(ctx, "SELECT count(*) FROM (SELECT 1 FROM tickets t WHERE "+c.scan+" LIMIT ?) m",
		append(slices.Clone(c.args), tickets.CountCap+1)...).Scan(&n)
	return min(n, tickets.CountCap), err
}

func buildCases(ctx context.Context, db *bun.DB, n int, now time.Time) ([]searchCase, error) {
	var dept, cat int64
	if err := db.QueryRowContext(ctx, "SELECT id FROM departments WHERE code = 'environment'").Scan(&dept); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, "SELECT id FROM categories WHERE code = 'eco-environment'").Scan(&cat); err != nil {
		return nil, err
	}
	like := func(words ...string) (string, []any) {
		var conds []string
		var args []any
		for _, w := range words {
			conds = append(conds, textExpr+" LIKE ?")
			args = append(args, "%"+w+"%")
		}
		return strings.Join(conds, " AND "), args
	}
	var cs []searchCase
	for _, w := range []string{"噪音", "欠薪", "漏水", "发票", "公积金", "充电桩", "物业费", "回龙观", "燃气", "燃气泄漏"} {
		cond, args := like(w)
		cs = append(cs, searchCase{name: "q=" + w, f: tickets.Filter{Words: []string{w}, Limit: 50}, scan: cond, args: args, order: "t.id DESC"})
	}
	cond, args := like("烧烤", "噪音")
	cs = append(cs, searchCase{name: "q=烧烤 噪音", f: tickets.Filter{Words: []string{"烧烤", "噪音"}, Limit: 50}, scan: cond, args: args, order: "t.id DESC"})
	for _, p := range []string{"1234", "0042", "9876"} {
		cs = append(cs, searchCase{name: "phone=" + p, f: tickets.Filter{Phone: p, Limit: 50},
			scan: "t.caller_phone LIKE ?", args: []any{"%" + p}, order: "t.id DESC"})
	}
	from := now.AddDate(0, -3, 0)
	cond, args = like("噪音")
	cs = append(cs, searchCase{name: "q+dept+status+from",
		f:    tickets.Filter{Words: []string{"噪音"}, DepartmentID: dept, Statuses: []tickets.Status{tickets.StatusClosed}, From: from, Limit: 50},
		scan: cond + " AND t.department_id = ? AND t.status = 'closed' AND t.created_at >= ?", args: append(args, dept, from), order: "t.id DESC"})
	cs = append(cs, searchCase{name: "category+type+clock",
		f:    tickets.Filter{CategoryID: cat, Type: "complaint", Clock: tickets.ClockOverdue, Limit: 50, OrderBy: "due"},
		scan: "t.category_id IN (SELECT id FROM categories WHERE id = ? OR parent_id = ?) AND t.type = 'complaint' AND t.status IN ('dispatched', 'accepted') AND coalesce(t.resolve_due, 'infinity') < ?",
		args: []any{cat, cat, now}, order: "coalesce(t.resolve_due, 'infinity'), t.id"})
	// Deep pages: half-way through the whole list by registration time, and by number.
	var at time.Time
	var id int64
	var number string
	if err := db.QueryRowContext(ctx, "SELECT created_at, id FROM tickets ORDER BY created_at, id OFFSET ? LIMIT 1", n/2).Scan(&at, &id); err != nil {
		return nil, err
	}
	if err := db.QueryRowContext(ctx, "SELECT number FROM tickets ORDER BY number DESC OFFSET ? LIMIT 1", n/2).Scan(&number); err != nil {
		return nil, err
	}
	cs = append(cs,
		searchCase{name: "page at n/2 by created", f: tickets.Filter{OrderBy: "created", After: fmt.Sprintf("%d_%d", at.UnixMicro(), id), Limit: 50},
			scan: "true", order: "t.created_at, t.id", offset: n/2 + 1},
		searchCase{name: "page at n/2 by -number", f: tickets.Filter{OrderBy: "number", Desc: true, After: number, Limit: 50},
			scan: "true", order: "t.number DESC", offset: n/2 + 1},
	)
	return cs, nil
}

// load inserts n tickets spread over the year before now, the departments and the leaf
// categories, with descriptions, addresses and phone numbers made from the lists above. The
// search index is built after the rows, as a restore would.
func load(ctx context.Context, db *bun.DB, n int, now time.Time) error {
	exec := func(q string, args ...any) error {
		_, err := db.ExecContext(ctx, q, args...)
		return err
	}
	if err := exec("DROP INDEX tickets_search_idx"); err != nil {
		return err
	}
	const chunk = 100_000
	for lo := 1; lo <= n; lo += chunk {
		hi := min(lo+chunk-1, n)
		err := exec(`
INSERT INTO tickets (number, type, channel, status, category_id, description, address, caller_phone,
                     department_id, profile_code, resolution, created_at, updated_at, dispatched_at, resolve_due)
SELECT 'S' || lpad(g::text, 9, '0'), 'complaint', (ARRAY['phone', 'phone', 'phone', 'web', 'app'])[1 + g % 5],
       st.status, c.ids[1 + g % cardinality(c.ids)],
       (?0::text[])[1 + g % cardinality(?0::text[])] || (?1::text[])[1 + (g / 7) % cardinality(?1::text[])]
           || (?2::text[])[1 + (g / 13) % cardinality(?2::text[])] || CASE WHEN g % 1000 = 7 THEN '另有燃气泄漏隐患。' ELSE '' END,
       (?3::text[])[1 + g % cardinality(?3::text[])] || (?4::text[])[1 + (g / 11) % cardinality(?4::text[])] || (1 + g % 300) || '号',
       '1' || (3 + g % 6) || lpad(((g::bigint * 7919) % 1000000000)::text, 9, '0'),
       d.ids[1 + g % cardinality(d.ids)], 'standard',
       CASE WHEN st.status IN ('resolved', 'closed') THEN (?5::text[])[1 + g % cardinality(?5::text[])] ELSE '' END,
       t0, t0, t0, t0 + interval '15 days'
FROM generate_series(?6::int, ?7::int) AS g,
     (SELECT array_agg(id ORDER BY id) AS ids FROM departments WHERE kind = 'bureau') AS d,
     (SELECT array_agg(id ORDER BY id) AS ids FROM categories WHERE parent_id IS NOT NULL) AS c,
     LATERAL (SELECT ?8::timestamptz - (g % 365) * interval '1 day' - (g % 86400) * interval '1 second' AS t0) AS t,
     LATERAL (SELECT (ARRAY['closed', 'closed', 'closed', 'closed', 'closed', 'closed', 'resolved', 'accepted', 'accepted', 'dispatched'])[1 + (g / 3) % 10] AS status) AS st`,
			pgdialect.Array(subjects), pgdialect.Array(problems), pgdialect.Array(asks), pgdialect.Array(districts),
			pgdialect.Array(streets), pgdialect.Array(results), lo, hi, now)
		if err != nil {
			return fmt.Errorf("load tickets: %w", err)
		}
	}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.ExecContext(ctx, "SET LOCAL maintenance_work_mem = '256MB'"); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "CREATE INDEX tickets_search_idx ON tickets USING gin (search)")
		return err
	})
	if err != nil {
		return fmt.Errorf("index tickets: %w", err)
	}
	return exec("VACUUM ANALYZE tickets")
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
