package escalation

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/hotline-city/hotline/internal/org"
)

// directory is a snapshot of the departments and the accounts escalation writes to, read once
// per sweep rather than once per ticket.
type directory struct {
	centreID int64
	depts    map[int64]org.Department
	byDept   map[int64][]org.Staff // handlers, heads and dispatchers of each department
	super    []org.Staff           // the centre's supervisors
	leaders  []org.Staff           // the city leadership
}

func loadDirectory(ctx context.Context, db bun.IDB) (*directory, error) {
	var depts []org.Department
	if err := db.NewSelect().Model(&depts).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load departments: %w", err)
	}
	var staff []org.Staff
	err := db.NewSelect().Model(&staff).Where("active").
		Where("role IN (?)", bun.List([]org.Role{org.RoleHandler, org.RoleHead, org.RoleDispatcher, org.RoleSupervisor, org.RoleLeader})).
		Order("username").Scan(ctx)
	if err != nil {
		return nil, fmt.Errorf("load staff: %w", err)
	}
	d := &directory{depts: map[int64]org.Department{}, byDept: map[int64][]org.Staff{}}
	for _, dep := range depts {
		d.depts[dep.ID] = dep
		if dep.Kind == "centre" && d.centreID == 0 {
			d.centreID = dep.ID
		}
	}
	for _, u := range staff {
		switch u.Role {
		case org.RoleSupervisor:
			d.super = append(d.super, u)
		case org.RoleLeader:
			d.leaders = append(d.leaders, u)
		default:
			d.byDept[u.DepartmentID] = append(d.byDept[u.DepartmentID], u)
		}
	}
	return d, nil
}

// ancestors lists the department's parents, nearest first (a street's district, then …).
func (d *directory) ancestors(dept int64) []int64 {
	var out []int64
	seen := map[int64]bool{dept: true}
	for {
		dep, ok := d.depts[dept]
		if !ok || dep.ParentID == nil || seen[*dep.ParentID] {
			return out
		}
		dept = *dep.ParentID
		seen[dept] = true
		out = append(out, dept)
	}
}

// top is the highest escalation level for a clock owned by dept: level 1 is the department's
// head(s) with the centre's supervisors, each parent department's head one more level, and
// the city leadership the last.
func (d *directory) top(dept *int64) int {
	if dept == nil {
		return 2
	}
	return 2 + len(d.ancestors(*dept))
}

func (d *directory) withRole(dept int64, roles ...org.Role) []org.Staff {
	var out []org.Staff
	for _, u := range d.byDept[dept] {
		for _, r := range roles {
			if u.Role == r {
				out = append(out, u)
				break
			}
		}
	}
	return out
}

// recipients lists who hears of a clock reaching level (0: the warning).
func (d *directory) recipients(dept *int64, level int) []org.Staff {
	var out []org.Staff
	seen := map[int64]bool{}
	add := func(us []org.Staff) {
		for _, u := range us {
			if !seen[u.ID] {
				seen[u.ID] = true
				out = append(out, u)
			}
		}
	}
	top := d.top(dept)
	switch {
	case level == 0 && dept != nil:
		// The warning goes to whoever handles the work: handlers, or the centre's dispatchers
		// for the return visit the centre owes.
		add(d.withRole(*dept, org.RoleHandler, org.RoleDispatcher))
		if len(out) == 0 {
			add(d.withRole(*dept, org.RoleHead))
		}
	case level == 0:
		add(d.super)
	case level >= top:
		add(d.leaders)
		add(d.super)
	case level == 1:
		add(d.withRole(*dept, org.RoleHead))
		add(d.super)
	default:
		anc := d.ancestors(*dept)
		add(d.withRole(anc[level-2], org.RoleHead))
		add(d.super)
	}
	return out
}

func (d *directory) deptCode(id *int64) string {
	if id == nil {
		return ""
	}
	return d.depts[*id].Code
}

func (d *directory) deptName(id *int64) string {
	if id == nil {
		return ""
	}
	return d.depts[*id].NameZh
}
