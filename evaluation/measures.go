package evaluation

import (
	"fmt"
	"strings"
	"time"
)

// A Measure is one count the indicators' formulas are made of: the closed vocabulary a profile
// may use. Each is counted per ticket (or call) by one source's SQL, kept in a column of
// evaluation_daily of its name.
type Measure struct {
	Code           string
	NameZh, NameEn string
	// CentreOnly measures belong to no department (calls, tickets never dispatched).
	CentreOnly bool
}

// Measures is the vocabulary, in the columns' order.
var Measures = []Measure{
	{"registered", "受理量", "registered", false},
	{"answered_directly", "直接答复量", "answered directly", true},
	{"dispatched", "派单量", "dispatched", false},
	{"accept_due", "应签收", "due to be signed for", false},
	{"accepted_on_time", "按时签收", "signed for on time", false},
	{"feedback_due", "应反馈", "due for feedback", false},
	{"feedback_on_time", "按时反馈", "fed back on time", false},
	{"resolve_due", "应办结", "due to be resolved", false},
	{"resolved_on_time", "按时办结", "resolved on time", false},
	{"resolved", "已办结", "resolved", false},
	{"close_due", "应结案", "due to be closed", false},
	{"closed", "已结案", "closed", false},
	{"resolutions", "办结次数", "resolutions", false},
	{"reopens", "重办次数", "redos", false},
	{"dispatches", "派单次数", "dispatches", false},
	{"returns", "退单次数", "returns", false},
	{"co_assigned", "协办量", "co-handled", false},
	{"co_replied", "协办已答复", "co-handling replied", false},
	{"valid_visits", "有效回访", "valid return visits", false},
	{"contacted", "已联系", "contacted", false},
	{"solved", "已解决", "solved", false},
	{"partly", "部分解决", "partly solved", false},
	{"unsolved", "未解决", "unsolved", false},
	{"satisfied", "满意", "satisfied", false},
	{"basically", "基本满意", "basically satisfied", false},
	{"dissatisfied", "不满意", "dissatisfied", false},
	{"excluded", "申诉核减", "excluded by appeal", false},
	{"calls_offered", "呼入量", "calls offered", true},
	{"calls_answered", "接通量", "calls answered", true},
	{"calls_answered_15s", "15秒内接通", "answered within 15 s", true},
}

var measureByCode = func() map[string]Measure {
	m := map[string]Measure{}
	for _, x := range Measures {
		m[x.Code] = x
	}
	return m
}()

// MeasureCodes lists the measures' codes.
func MeasureCodes() []string {
	out := make([]string, len(Measures))
	for i, m := range Measures {
		out[i] = m.Code
	}
	return out
}

// A source counts some measures per ticket and department (or per call). Every source's select
// names the ticket, the department it counts for, the dimensions filters use, the moment that
// places it on a day, and its measures; the others are 0.
type source struct {
	head     string // ticket_id, department_id, category_id, type, channel, at
	measures map[string]string
	from     string // FROM … WHERE …, with ?from ?to ?now placeholders written as named below
}

// notAppealed keeps out a ticket whose department's appeal was approved.
const notAppealed = `NOT EXISTS (SELECT 1 FROM evaluation_appeals a WHERE a.ticket_id = t.id AND a.department_id = %s AND a.status = 'approved')`

var sources = []source{
	{ // the ticket, for its lead department (0 while none: the centre's own)
		head: `t.id, coalesce(t.department_id, 0), coalesce(t.category_id, 0), t.type, t.channel, t.created_at`,
		measures: map[string]string{
			"registered":        `1`,
			"answered_directly": `(t.status = 'closed' AND t.dispatched_at IS NULL)::int`,
			"dispatched":        `(t.dispatched_at IS NOT NULL)::int`,
			"accept_due":        `(t.accept_due IS NOT NULL AND (t.accepted_at IS NOT NULL OR t.accept_due <= {now}))::int`,
			"accepted_on_time":  `coalesce(t.accepted_at <= t.accept_due, false)::int`,
			"feedback_due":      `(t.department_id IS NOT NULL AND t.feedback_due IS NOT NULL AND (t.feedback_at IS NOT NULL OR t.feedback_due <= {now}))::int`,
			"feedback_on_time":  `(t.department_id IS NOT NULL AND coalesce(t.feedback_at <= t.feedback_due, false))::int`,
			"resolve_due":       `(t.resolve_due IS NOT NULL AND (t.resolved_at IS NOT NULL OR t.resolve_due <= {now}))::int`,
			"resolved_on_time":  `coalesce(t.resolved_at <= t.resolve_due, false)::int`,
			"resolved":          `(t.department_id IS NOT NULL AND t.resolved_at IS NOT NULL)::int`,
			"close_due":         `(t.department_id IS NOT NULL AND t.status IN ('resolved', 'closed'))::int`,
			"closed":            `(t.department_id IS NOT NULL AND t.status = 'closed')::int`,
			"resolutions":       `CASE WHEN t.department_id IS NULL THEN 0 ELSE (t.resolved_at IS NOT NULL)::int + t.reopen_count END`,
			"reopens":           `CASE WHEN t.department_id IS NULL THEN 0 ELSE t.reopen_count END`,
		},
		from: `FROM tickets t WHERE t.created_at >= {from} AND t.created_at < {to} AND t.master_id IS NULL {dept:t.department_id}
			AND (t.department_id IS NULL OR ` + fmt.Sprintf(notAppealed, "t.department_id") + `)`,
	},
	{ // the latest valid return visit of each ticket and department it evaluates
		head: `t.id, coalesce(rv.dept, 0), coalesce(t.category_id, 0), t.type, t.channel, t.created_at`,
		measures: map[string]string{
			"valid_visits": `1`,
			"contacted":    `rv.contacted::int`,
			"solved":       `(rv.solved = 'solved')::int`,
			"partly":       `(rv.solved = 'partly')::int`,
			"unsolved":     `(rv.solved = 'unsolved')::int`,
			"satisfied":    `(rv.satisfaction = 'satisfied')::int`,
			"basically":    `(rv.satisfaction = 'basically')::int`,
			"dissatisfied": `(rv.satisfaction = 'dissatisfied')::int`,
		},
		// From the window's tickets into each one's visits (by the visits' ticket index), so a
		// day costs its own tickets whatever the size of the table; OFFSET 0 keeps the planner
		// from turning these lookups into a scan of the whole table (here and below).
		from: `FROM tickets t CROSS JOIN LATERAL (
				SELECT DISTINCT ON (coalesce(v.department_id, t.department_id)) coalesce(v.department_id, t.department_id) AS dept,
					v.contacted, v.solved, v.satisfaction
				FROM return_visits v WHERE v.ticket_id = t.id AND v.valid
				ORDER BY coalesce(v.department_id, t.department_id), v.id DESC OFFSET 0) rv
			WHERE t.created_at >= {from} AND t.created_at < {to} AND t.master_id IS NULL {dept:rv.dept}
			AND ` + fmt.Sprintf(notAppealed, "rv.dept"),
	},
	{ // 默认满意: with the centre's unrated rule "satisfied", a resolution whose citizen gave no valid
		// answer within the set days counts for its lead department as a valid visit answering
		// contacted, solved and satisfied
		head: `t.id, t.department_id, coalesce(t.category_id, 0), t.type, t.channel, t.created_at`,
		measures: map[string]string{
			"valid_visits": `1`,
			"contacted":    `1`,
			"solved":       `1`,
			"satisfied":    `1`,
		},
		from: `FROM tickets t JOIN loop_settings ls ON ls.id = 1 AND ls.unrated_rule = 'satisfied'
			WHERE t.created_at >= {from} AND t.created_at < {to} AND t.master_id IS NULL AND t.department_id IS NOT NULL {dept:t.department_id}
			AND t.resolved_at + ls.unrated_days * interval '1 day' <= {now}
			AND NOT EXISTS (SELECT 1 FROM return_visits v WHERE v.ticket_id = t.id AND v.valid AND coalesce(v.department_id, t.department_id) = t.department_id)
			AND ` + fmt.Sprintf(notAppealed, "t.department_id"),
	},
	{ // dispatches to a department and its returns (退单)
		head: `t.id, coalesce(e.dept, 0), coalesce(t.category_id, 0), t.type, t.channel, t.created_at`,
		measures: map[string]string{
			"dispatches": `(e.kind = 'dispatch')::int`,
			"returns":    `(e.kind = 'return')::int`,
		},
		from: `FROM tickets t CROSS JOIN LATERAL (
				SELECT x.kind, CASE WHEN x.kind = 'dispatch' THEN (SELECT dd.id FROM departments dd WHERE dd.code = x.data->>'department')
					ELSE (x.data->>'returned_by_department')::bigint END AS dept
				FROM ticket_events x WHERE x.ticket_id = t.id AND x.kind IN ('dispatch', 'return') OFFSET 0) e
			WHERE t.created_at >= {from} AND t.created_at < {to} AND t.master_id IS NULL {dept:e.dept}
			AND ` + fmt.Sprintf(notAppealed, "e.dept"),
	},
	{ // co-handling departments (协办) and their replies
		head: `t.id, c.department_id, coalesce(t.category_id, 0), t.type, t.channel, t.created_at`,
		measures: map[string]string{
			"co_assigned": `1`,
			"co_replied":  `(c.replied_at IS NOT NULL)::int`,
		},
		from: `FROM tickets t CROSS JOIN LATERAL (SELECT x.department_id, x.replied_at FROM ticket_co_departments x WHERE x.ticket_id = t.id OFFSET 0) c
			WHERE t.created_at >= {from} AND t.created_at < {to} AND t.master_id IS NULL {dept:c.department_id}
			AND ` + fmt.Sprintf(notAppealed, "c.department_id"),
	},
	{ // tickets excluded by an approved appeal, counted so that pages can show them
		head:     `t.id, a.department_id, coalesce(t.category_id, 0), t.type, t.channel, t.created_at`,
		measures: map[string]string{"excluded": `1`},
		from: `FROM evaluation_appeals a JOIN tickets t ON t.id = a.ticket_id
			WHERE a.status = 'approved' AND t.created_at >= {from} AND t.created_at < {to} {dept:a.department_id}`,
	},
	{ // calls to 12345: the centre's
		head: `NULL::bigint, 0::bigint, 0::bigint, ''::text, 'phone'::text, c.started_at`,
		measures: map[string]string{
			"calls_offered":      `1`,
			"calls_answered":     `(c.answered_at IS NOT NULL)::int`,
			"calls_answered_15s": `coalesce(c.answered_at - c.started_at <= interval '15 seconds', false)::int`,
		},
		from: `FROM call_records c WHERE c.outcome <> 'in_progress' AND c.started_at >= {from} AND c.started_at < {to} {calls}`,
	},
}

// factsSQL is every source's rows, one per ticket (call) and department, each with all the
// measures: the raw facts the daily aggregate sums and drill-downs list. With a department,
// only its rows (and no calls).
func factsSQL(from, to, now time.Time, dept int64) (string, []any) {
	var b strings.Builder
	var args []any
	for i, s := range sources {
		if i > 0 {
			b.WriteString("\nUNION ALL\n")
		}
		b.WriteString("(SELECT " + s.head)
		for _, m := range Measures {
			expr, ok := s.measures[m.Code]
			if !ok {
				expr = "0"
			}
			b.WriteString(", " + expr + " AS " + m.Code)
		}
		b.WriteString(" " + s.from + ")")
	}
	sql := b.String()
	// Placeholders in the order they appear.
	var out strings.Builder
	for {
		i := strings.IndexByte(sql, '{')
		if i < 0 {
			out.WriteString(sql)
			break
		}
		j := strings.IndexByte(sql[i:], '}') + i
		out.WriteString(sql[:i])
		name := sql[i+1 : j]
		switch {
		case name == "from":
			out.WriteString("?")
			args = append(args, from)
		case name == "to":
			out.WriteString("?")
			args = append(args, to)
		case name == "now":
			out.WriteString("?")
			args = append(args, now)
		case name == "calls":
			if dept != 0 {
				out.WriteString("AND false")
			}
		case strings.HasPrefix(name, "dept:"):
			if dept != 0 {
				out.WriteString("AND " + name[len("dept:"):] + " = ?")
				args = append(args, dept)
			}
		}
		sql = sql[j+1:]
	}
	return out.String(), args
}

// columns is the measures' column list, joined.
func columns(prefix, sep string) string {
	var parts []string
	for _, m := range Measures {
		parts = append(parts, prefix+m.Code)
	}
	return strings.Join(parts, sep)
}

// sums is "sum(<prefix>x) AS x, …" over the measures.
func sums(prefix string) string {
	var parts []string
	for _, m := range Measures {
		parts = append(parts, "sum("+prefix+m.Code+")::bigint AS "+m.Code)
	}
	return strings.Join(parts, ", ")
}
