package web_test

import (
	"bufio"
	"context"
	"io"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/hotline-city/hotline/internal/org"
	"github.com/hotline-city/hotline/tickets"
	"github.com/hotline-city/hotline/web"
)

// TestIntakeBrowserJourney runs the citizen's journey in Debian's chromium driven by
// playwright-core: a noise complaint answering its category's question, with JavaScript and
// without; a complaint with a photo, tracked, and after the city resolves the ticket, rated
// 不满意 so that it reopens. `make test` installs chromium, the CJK fonts and the driver.
func TestIntakeBrowserJourney(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("browser journey: slow, skipped with -short")
	}
	web.NeedBrowser(t)
	e := newIntakeEnv(t, noLimits)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "e2e/intake_journey.js", e.ts.URL)
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	out := bufio.NewScanner(stdout)
	var number string
	var got []string
	noise := map[string]string{} // ticket number → the answer to the noise question
	for out.Scan() {
		line := out.Text()
		got = append(got, line)
		if rest, ok := strings.CutPrefix(line, "NOISE "); ok {
			if no, answer, ok := strings.Cut(rest, " "); ok {
				noise[no] = answer
			}
		}
		if no, ok := strings.CutPrefix(line, "NUMBER "); ok {
			number = no
			e.resolveAs(t, number, "已填补路面")
			io.WriteString(stdin, "resolved\n")
		}
	}
	err := cmd.Wait()
	if err != nil || len(got) == 0 || got[len(got)-1] != "DONE" {
		t.Fatalf("journey: %v\nstdout: %s\nstderr: %s", err, strings.Join(got, "\n"), stderr.String())
	}
	tk, err := e.tickets.Get(context.Background(), number)
	if err != nil || tk.Channel != "web" || tk.Status != tickets.StatusDispatched || tk.ReopenCount != 1 {
		t.Fatalf("after the journey: %v %+v", err, tk)
	}
	if ps, err := e.svc.Photos(context.Background(), tk.ID); err != nil || len(ps) != 1 || ps[0].ContentType != "image/png" {
		t.Fatalf("photo: %v %+v", err, ps)
	}
	if len(noise) != 2 {
		t.Fatalf("noise complaints filed: %v", noise)
	}
	for no, answer := range noise {
		var cat, stored string
		if err := e.db.NewRaw(`SELECT c.code, s.attributes->>'noise_time' FROM tickets t JOIN categories c ON c.id = t.category_id
			JOIN intake_submissions s ON s.ticket_id = t.id WHERE t.number = ?`, no).Scan(context.Background(), &cat, &stored); err != nil || cat != "noise" || stored != answer {
			t.Errorf("noise complaint %s: %v, category %q, noise_time %q, want %q", no, err, cat, stored, answer)
		}
	}
}

// resolveAs dispatches a ticket to urban, which accepts and resolves it with text.
func (e *intakeEnv) resolveAs(t *testing.T, number, text string) {
	ctx := context.Background()
	if _, err := e.tickets.Dispatch(ctx, e.agent, number, tickets.DispatchInput{Department: "urban"}); err != nil {
		t.Error(err)
		return
	}
	urban, _ := org.NewStore(e.db).Department(ctx, "urban")
	h := tickets.Actor{Name: "handler", Role: org.RoleHandler, DepartmentID: urban.ID}
	if _, err := e.tickets.Accept(ctx, h, number, tickets.ActInput{}); err != nil {
		t.Error(err)
		return
	}
	if _, err := e.tickets.Resolve(ctx, h, number, tickets.ActInput{Text: text}); err != nil {
		t.Error(err)
	}
}
