package org

import "slices"

// Role is what a staff account does at the hotline; the citizen and the system are roles too,
// as the actors of what they do to a ticket. One vocabulary serves the status machine, ticket
// visibility and the web's guards, through the named sets below.
type Role string

// Roles.
const (
	RoleAgent      Role = "agent"      // call-centre agent (话务员)
	RoleDispatcher Role = "dispatcher" // dispatcher at the centre (派单员)
	RoleHandler    Role = "handler"    // handler in a department (承办人)
	RoleHead       Role = "head"       // head of a department (部门负责人)
	RoleSupervisor Role = "supervisor" // supervisor of the centre (督办员)
	RoleAdmin      Role = "admin"      // administrator
	RoleLeader     Role = "leader"     // city leadership, the top of escalation
	RoleCitizen    Role = "citizen"    // a citizen acting online: never a staff account
	RoleSystem     Role = "system"     // what the hotline does by itself: routing, sweeps
)

// RoleSet is a named set of roles.
type RoleSet []Role

// Has reports whether r is in the set.
func (s RoleSet) Has(r Role) bool { return slices.Contains(s, r) }

// The named sets. The city leadership sees the whole city (CityWide) but is not centre staff:
// it registers, dispatches and closes nothing, and only follows and supervises.
var (
	// StaffRoles are the roles a staff account may have.
	StaffRoles = RoleSet{RoleAgent, RoleDispatcher, RoleHandler, RoleHead, RoleSupervisor, RoleAdmin, RoleLeader}
	// Centre works at the 12345 centre: registers, dispatches, reviews returns, closes.
	Centre = RoleSet{RoleAgent, RoleDispatcher, RoleSupervisor, RoleAdmin}
	// DepartmentStaff works in one department and sees only the tickets it leads or co-handles.
	DepartmentStaff = RoleSet{RoleHandler, RoleHead}
	// CityWide sees every department's tickets: the centre and the city leadership.
	CityWide = RoleSet{RoleAgent, RoleDispatcher, RoleSupervisor, RoleAdmin, RoleLeader}
	// Board sees the supervisor board: the centre's supervisors, the leadership, and a
	// department's head for their own department.
	Board = RoleSet{RoleSupervisor, RoleAdmin, RoleLeader, RoleHead}
	// CallTakers take calls on a SIP phone and answer consultations on the spot (直接答复).
	CallTakers = RoleSet{RoleAgent, RoleDispatcher, RoleSupervisor}
	// SeePhone need citizens' phone numbers for their work (calling back); everyone else sees
	// them masked unless they reveal one with a reason.
	SeePhone = Centre
	// Deciders approve or refuse extensions (延期).
	Deciders = RoleSet{RoleSupervisor, RoleAdmin}
	// Supervisors issue supervision notices (督办单).
	Supervisors = RoleSet{RoleSupervisor, RoleAdmin, RoleLeader}
	// Reviewers handle the review queue of returned tickets (退单审核) in the pages.
	Reviewers = RoleSet{RoleDispatcher, RoleSupervisor, RoleAdmin}
	// HearRecordings may hear any call's recording (全程录音); an agent hears the calls they
	// took and a department's staff the calls linked to tickets they may see.
	HearRecordings = RoleSet{RoleSupervisor, RoleAdmin}
	// Admins administer the directory, the rules and the accounts.
	Admins = RoleSet{RoleAdmin}
)

// Roles are every role: the staff's, the citizen's and the system's.
var Roles = append(slices.Clone(StaffRoles), RoleCitizen, RoleSystem)
