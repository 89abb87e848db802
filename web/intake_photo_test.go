package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"testing"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
)

// staffClient signs in as a new account of role in department and returns its browser.
func (e *intakeEnv) staffClient(username string, role org.Role, dept string) *http.Client {
	e.t.Helper()
	ctx := context.Background()
	st := org.NewStore(e.db)
	d, err := st.Department(ctx, dept)
	if err != nil {
		e.t.Fatal(err)
	}
	hash, err := org.HashPassword("photo-test")
	if err != nil {
		e.t.Fatal(err)
	}
	if err := st.UpsertStaff(ctx, &org.Staff{Username: username, DisplayName: username, Role: role, DepartmentID: d.ID,
		PasswordHash: hash, Active: true}); err != nil {
		e.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(e.ts.URL+"/login", url.Values{"username": {username}, "password": {"photo-test"}})
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther && resp.StatusCode != http.StatusFound {
		e.t.Fatalf("login %s: %d", username, resp.StatusCode)
	}
	return c
}

func TestTicketPhotoOnlyForStaffWhoSeeTheTicket(t *testing.T) {
	t.Parallel()
	e := newIntakeEnv(t, noLimits)
	ctx := context.Background()
	_, body := e.postMultipart("/complain", complaint(e.formToken()), []upload{{"p.png", pngBytes}})
	no := numberInPageRE.FindStringSubmatch(body)[1]
	tk, _ := e.tickets.Get(ctx, no)
	ps, err := e.svc.Photos(ctx, tk.ID)
	if err != nil || len(ps) != 1 {
		t.Fatalf("%v %+v", err, ps)
	}
	path := fmt.Sprintf("/tickets/%s/photos/%d", no, ps[0].ID)
	get := func(c *http.Client, p string) (int, string, string) {
		resp, err := c.Get(e.ts.URL + p)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("Content-Type"), string(b)
	}
	agent := e.staffClient("photo-agent", org.RoleAgent, "centre")
	if code, ct, b := get(agent, path); code != 200 || ct != "image/png" || b != string(pngBytes) {
		t.Fatalf("agent: %d %s", code, ct)
	}
	if code, _, _ := get(agent, fmt.Sprintf("/tickets/%s/photos/%d", no, ps[0].ID+100)); code != 404 {
		t.Fatalf("no such photo: %d", code)
	}
	if _, err := e.tickets.Dispatch(ctx, e.agent, no, tickets.DispatchInput{Department: "urban"}); err != nil {
		t.Fatal(err)
	}
	if code, ct, _ := get(e.staffClient("photo-urban", org.RoleHandler, "urban"), path); code != 200 || ct != "image/png" {
		t.Fatalf("handler of the lead department: %d %s", code, ct)
	}
	if code, ct, _ := get(e.staffClient("photo-market", org.RoleHandler, "market"), path); code != 403 || ct == "image/png" {
		t.Fatalf("handler of another department: %d %s", code, ct)
	}
}
