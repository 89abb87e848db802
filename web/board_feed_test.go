package web

import (
	"bufio"
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

var hrssOpen = regexp.MustCompile(`<tr data-dept="hrss">.*?<td class="n">(\d+)</td>`)

// TestBoardCountsArePushedToOpenBoards: an open board gets the new counts over its live stream
// when tickets change, however they changed (here straight through the tickets service, which
// announces nothing), without asking for them.
func TestBoardCountsArePushedToOpenBoards(t *testing.T) {
	t.Parallel()
	e := newStaffEnvWith(t, func(e *staffEnv, d *Deps) { d.Staff.BoardPush = 100 * time.Millisecond })
	sup := e.browser("supervisor")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/board/events", nil)
	res, err := sup.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	pushes := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(res.Body)
		var ev, data strings.Builder
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.Reset()
				ev.WriteString(strings.TrimPrefix(line, "event: "))
			case strings.HasPrefix(line, "data: "):
				data.WriteString(strings.TrimPrefix(line, "data: "))
			case line == "":
				if ev.String() == "counts" {
					pushes <- data.String()
				}
				ev.Reset()
				data.Reset()
			}
		}
	}()
	wait := func(open string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case p := <-pushes:
				if m := hrssOpen.FindStringSubmatch(p); m != nil && m[1] == open {
					if !strings.Contains(p, `id="counts"`) {
						t.Errorf("push is not the counts table: %s", p)
					}
					return
				}
			case <-deadline:
				t.Fatalf("no push with %s open for hrss", open)
			}
		}
	}
	e.register("公司拖欠三个月工资", "wage-arrears", "13800138000", "hrss")
	wait("1")
	e.register("公司拖欠两个月工资", "wage-arrears", "13800138001", "hrss")
	wait("2")
}
