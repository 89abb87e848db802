package web

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/internal/org"
)

// TestAuthorisationMatrix tries every route registered for staff with every role and without a
// login: refused roles get 403, admitted roles never the route's refusal, nobody gets in
// without a login, and department staff cannot read another department's ticket. The
// escalation area is wired in, so its routes answer from the service rather than with a 503.
func TestAuthorisationMatrix(t *testing.T) {
	t.Parallel()
	e, _ := newEscalationEnv(t)
	tk := e.register("公司拖欠工资", "wage-arrears", "13800138000", "hrss")
	accounts := map[org.Role]string{
		org.RoleAgent: "agent1", org.RoleDispatcher: "dispatcher", org.RoleHandler: "handler-hrss", org.RoleHead: "head-hrss",
		org.RoleSupervisor: "supervisor", org.RoleAdmin: "admin", org.RoleLeader: "leader",
	}
	tokens := map[org.Role]map[string]string{}
	for role, user := range accounts {
		tokens[role] = e.token(user)
	}
	fill := strings.NewReplacer("{number}", tk.Number, "{id}", "999999", "{list}", "open", "{phone}", "13800138000",
		"{action}", "notes", "{lang}", "en", "{file}", "x", "{$}", "")
	client := noRedirect(nil)
	send := func(method, path string, hdr map[string]string) (int, string) {
		t.Helper()
		req, _ := http.NewRequestWithContext(context.Background(), method, e.ts.URL+path, strings.NewReader(""))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		// Event streams never end; their headers are the answer.
		if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
			return res.StatusCode, ""
		}
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, string(b)
	}
	routes := e.srv.staff().routes
	if len(routes) < 30 {
		t.Fatalf("only %d staff routes", len(routes))
	}
	for _, rt := range routes {
		method, pattern, ok := strings.Cut(rt.Pattern, " ")
		if !ok {
			method, pattern = "GET", rt.Pattern
		}
		path := fill.Replace(pattern)
		api := strings.HasPrefix(path, "/api/")
		t.Run(rt.Pattern, func(t *testing.T) {
			status, _ := send(method, path, nil)
			if api && status != 401 || !api && status != http.StatusSeeOther {
				t.Errorf("anonymous: %d", status)
			}
			for role := range accounts {
				status, body := send(method, path, tokens[role])
				admitted := rt.Roles == nil || slices.Contains(rt.Roles, role)
				refused := status == 403 && (strings.Contains(body, errRoleRefused) || strings.Contains(body, tr("zh", "error.role")))
				switch {
				case status == 401:
					t.Errorf("%s: 401", role)
				case admitted && refused:
					t.Errorf("%s: refused by a route that admits it", role)
				case !admitted && !refused:
					t.Errorf("%s: %d, want the route's 403", role, status)
				}
			}
		})
	}
	// Reading another department's ticket: by the API, the page and every GET route with a number.
	other := e.token("handler-market")
	own := tokens[org.RoleHandler]
	for _, rt := range routes {
		method, pattern, _ := strings.Cut(rt.Pattern, " ")
		// {number} is a ticket's number only under /tickets/ (elsewhere it may number a notice).
		if method != "GET" || !strings.HasPrefix(pattern, "/tickets/{number}") && !strings.HasPrefix(pattern, "/api/v1/tickets/{number}") {
			continue
		}
		if rt.Roles != nil && !slices.Contains(rt.Roles, org.RoleHandler) {
			continue
		}
		path := fill.Replace(pattern)
		t.Run("other department "+rt.Pattern, func(t *testing.T) {
			if status, _ := send("GET", path, other); status != 403 && status != 404 {
				t.Errorf("another department's handler: %d", status)
			}
			if strings.Count(pattern, "{") == 1 {
				// The result sheet of a ticket not yet resolved does not exist (409).
				if status, _ := send("GET", path, own); status != 200 && !(status == 409 && strings.HasSuffix(pattern, "/result-sheet")) {
					t.Errorf("own department's handler: %d", status)
				}
			}
		})
	}
}
