package tickets

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/hotline-city/hotline/internal/org"
)

// expected is the machine written out independently as (action, from) → to plus who may.
func expected(a Action, s Status, r org.Role) (Status, error) {
	centre := []org.Role{org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor, org.RoleAdmin}
	dept := []org.Role{org.RoleHandler, org.RoleHead}
	staff := []org.Role{org.RoleAgent, org.RoleDispatcher, org.RoleHandler, org.RoleHead, org.RoleSupervisor, org.RoleAdmin, org.RoleLeader}
	type spec struct {
		roles []org.Role
		moves map[Status]Status
	}
	same := func(ss ...Status) map[Status]Status {
		m := map[Status]Status{}
		for _, s := range ss {
			m[s] = s
		}
		return m
	}
	specs := map[Action]spec{
		ActRegister: {append(slices.Clone(centre), org.RoleCitizen, org.RoleSystem), map[Status]Status{StatusNone: StatusRegistered}},
		ActAnswer:   {[]org.Role{org.RoleAgent, org.RoleDispatcher, org.RoleSupervisor}, map[Status]Status{StatusRegistered: StatusClosed}},
		ActDispatch: {append(slices.Clone(centre), org.RoleSystem), map[Status]Status{StatusRegistered: StatusDispatched, StatusReturned: StatusDispatched}},
		ActAccept:   {dept, map[Status]Status{StatusDispatched: StatusAccepted}},
		ActReturn:   {dept, map[Status]Status{StatusDispatched: StatusReturned, StatusAccepted: StatusReturned}},
		ActFeedback: {dept, same(StatusAccepted)},
		ActNote:     {staff, same(StatusRegistered, StatusDispatched, StatusAccepted, StatusReturned, StatusResolved, StatusClosed)},
		ActCoReply:  {dept, same(StatusDispatched, StatusAccepted)},
		ActResolve:  {dept, map[Status]Status{StatusAccepted: StatusResolved}},
		ActClose:    {append(slices.Clone(centre), org.RoleSystem), map[Status]Status{StatusResolved: StatusClosed}},
		ActReopen:   {append(slices.Clone(centre), org.RoleCitizen, org.RoleSystem), map[Status]Status{StatusResolved: StatusDispatched, StatusClosed: StatusDispatched}},
	}
	sp, ok := specs[a]
	if !ok {
		return s, ErrTransition
	}
	if !slices.Contains(sp.roles, r) {
		return s, ErrForbidden
	}
	to, ok := sp.moves[s]
	if !ok {
		return s, ErrTransition
	}
	return to, nil
}

func TestNextEveryStatusActionRole(t *testing.T) {
	t.Parallel()
	statuses := append([]Status{StatusNone}, Statuses...)
	actions := append(slices.Clone(Actions), Action("teleport"))
	count := 0
	for _, s := range statuses {
		for _, a := range actions {
			for _, r := range org.Roles {
				count++
				t.Run(fmt.Sprintf("%s/%s/%s", statusName(s), a, r), func(t *testing.T) {
					t.Parallel()
					want, wantErr := expected(a, s, r)
					got, err := Next(s, a, r)
					if !errors.Is(err, wantErr) || (wantErr == nil && err != nil) {
						t.Fatalf("err = %v, want %v", err, wantErr)
					}
					if got != want {
						t.Fatalf("status = %q, want %q", got, want)
					}
				})
			}
		}
	}
	if count != 7*12*9 {
		t.Fatalf("covered %d combinations", count)
	}
}

func TestContractLoop(t *testing.T) {
	t.Parallel()
	// The contract's paths, step by step.
	paths := [][]struct {
		a  Action
		r  org.Role
		to Status
	}{
		{{ActRegister, org.RoleAgent, StatusRegistered}, {ActDispatch, org.RoleAgent, StatusDispatched}, {ActAccept, org.RoleHandler, StatusAccepted},
			{ActResolve, org.RoleHandler, StatusResolved}, {ActClose, org.RoleSystem, StatusClosed}, {ActReopen, org.RoleCitizen, StatusDispatched}},
		{{ActRegister, org.RoleCitizen, StatusRegistered}, {ActDispatch, org.RoleSystem, StatusDispatched}, {ActReturn, org.RoleHead, StatusReturned},
			{ActDispatch, org.RoleDispatcher, StatusDispatched}},
		{{ActRegister, org.RoleAgent, StatusRegistered}, {ActAnswer, org.RoleAgent, StatusClosed}},
	}
	for i, p := range paths {
		s := StatusNone
		for _, step := range p {
			next, err := Next(s, step.a, step.r)
			if err != nil || next != step.to {
				t.Fatalf("path %d: %s by %s from %q = %q, %v; want %q", i, step.a, step.r, s, next, err, step.to)
			}
			s = next
		}
	}
}

func TestAllowed(t *testing.T) {
	t.Parallel()
	got := Allowed(StatusAccepted, org.RoleHandler)
	want := []Action{ActReturn, ActFeedback, ActNote, ActCoReply, ActResolve}
	if !slices.Equal(got, want) {
		t.Fatalf("Allowed = %v, want %v", got, want)
	}
}
