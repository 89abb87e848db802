package web

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hotline-city/hotline/telephony"
)

// The SIPp scenarios are the telephony package's own.
const sippScenarios = "../telephony/testdata"

// sippRun is one SIPp process of a test.
type sippRun struct {
	name string
	cmd  *exec.Cmd
	out  *strings.Builder
	mu   *sync.Mutex
	done chan error
}

type syncWriter struct {
	mu *sync.Mutex
	b  *strings.Builder
}

func (w syncWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func udpPort(t *testing.T) int {
	t.Helper()
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// nextMedia walks SIPp's media ports through 10000–19999, below the ports the system hands
// out itself: a port found free there is not taken by another socket before SIPp binds it.
var nextMedia atomic.Int64

func init() { nextMedia.Store(rand.Int64N(2500) * 4) }

// mediaPort is a port for SIPp's audio with the one two above it (its video) free too.
func mediaPort(t *testing.T) int {
	t.Helper()
	for range 200 {
		port := 10000 + int(nextMedia.Add(4)%9996)
		audio, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		if err != nil {
			continue
		}
		video, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port+2))
		audio.Close()
		if err == nil {
			video.Close()
			return port
		}
	}
	t.Fatal("no pair of media ports free for SIPp")
	return 0
}

// sipp starts one call of scenario on local port port; remote is empty for a phone that
// waits for a call. args are further SIPp arguments.
func sipp(t *testing.T, scenario string, port int, remote string, args ...string) *sippRun {
	t.Helper()
	bin, err := exec.LookPath("sipp")
	if err != nil {
		t.Fatalf("sipp is not installed: install Debian's sip-tester (apt-get install -y sip-tester; make test does it)")
	}
	sf, err := filepath.Abs(filepath.Join(sippScenarios, scenario))
	if err != nil {
		t.Fatal(err)
	}
	all := append([]string{"-sf", sf, "-m", "1", "-nostdin", "-i", "127.0.0.1", "-p", strconv.Itoa(port),
		"-timeout", "40s", "-timeout_error", "-max_retrans", "8", "-mp", strconv.Itoa(mediaPort(t))}, args...)
	if remote != "" {
		all = append(all, remote)
	}
	r := &sippRun{name: scenario, out: &strings.Builder{}, mu: &sync.Mutex{}, done: make(chan error, 1)}
	r.cmd = exec.Command(bin, all...)
	r.cmd.Dir = t.TempDir()
	r.cmd.Stdout, r.cmd.Stderr = syncWriter{r.mu, r.out}, syncWriter{r.mu, r.out}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() {
		select {
		case err := <-r.done:
			r.done <- err
		default:
			r.cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

// wait fails the test unless SIPp ends with its call successful.
func (r *sippRun) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err
		if err != nil {
			r.mu.Lock()
			out := r.out.String()
			r.mu.Unlock()
			if len(out) > 4000 {
				out = out[len(out)-4000:]
			}
			t.Fatalf("sipp %s: %v\n%s", r.name, err, out)
		}
	case <-time.After(90 * time.Second):
		t.Fatalf("sipp %s did not finish", r.name)
	}
}

// registerPhone registers extension ext (SIP password demo-sip) with its calls going to
// a SIPp phone on port phone.
func registerPhone(t *testing.T, tel *telephony.Server, ext string, phone int) {
	t.Helper()
	sipp(t, "register.xml", udpPort(t), tel.Addr(), "-key", "ext", ext, "-au", ext, "-ap", "demo-sip",
		"-key", "cport", strconv.Itoa(phone)).wait(t)
	deadline := time.Now().Add(10 * time.Second)
	for !tel.Agent(ext).Registered {
		if time.Now().After(deadline) {
			t.Fatalf("%s never registered", ext)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sseEvent is one server-sent event.
type sseEvent struct {
	Type string
	Data map[string]any
}

// agentEvents opens the agent console's event stream with hdr's credentials.
func (e *staffEnv) agentEvents(t *testing.T, hdr map[string]string) <-chan sseEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", e.ts.URL+"/api/v1/agent/events", nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("GET /api/v1/agent/events: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
	out := make(chan sseEvent, 16)
	go func() {
		defer close(out)
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.Type = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.Data)
			case line == "" && ev.Type != "":
				out <- ev
				ev = sseEvent{}
			}
		}
	}()
	t.Cleanup(cancel)
	return out
}

// nextEvent waits for the next event of type typ, skipping others.
func nextEvent(t *testing.T, events <-chan sseEvent, typ string) sseEvent {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("event stream ended before a %s event", typ)
			}
			if ev.Type == typ {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", typ)
		}
	}
}

// waitCall polls GET /api/v1/calls/{id} until ok accepts the call.
func (e *staffEnv) waitCall(t *testing.T, id string, hdr map[string]string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.do(nil, "GET", "/api/v1/calls/"+id, nil, hdr)
		if r.Status == 200 {
			if c := r.json(t); ok(c) {
				return c
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("call %s: %d %s", id, r.Status, r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// A citizen's call rings agent1's SIPp phone: the console's event stream pops the caller's
// number, the ticket registered during the call is linked to the call, and the console
// transfers the caller to the configured hotline 12315 (a SIPp playing it); a target that
// is not configured is refused.
func TestCallsSIPpScreenPopTicketAndTransfer(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("SIPp journey: slow, skipped with -short")
	}
	consumer := udpPort(t)
	e, tel := newCallsEnv(t, func(c *telephony.Config) {
		c.Transfers = map[string]string{"110": "sip:110@127.0.0.1:9", "12315": fmt.Sprintf("sip:12315@127.0.0.1:%d", consumer)}
	})
	agent := e.token("agent1")
	hotline12315 := sipp(t, "police.xml", consumer, "")
	phone := udpPort(t)
	agentPhone := sipp(t, "agent_answer.xml", phone, "")
	registerPhone(t, tel, "1001", phone)
	events := e.agentEvents(t, agent)

	caller := sipp(t, "caller_transfer.xml", udpPort(t), tel.Addr(), "-key", "caller", "13800138000", "-d", "200")
	pop := nextEvent(t, events, "screenpop")
	id, _ := pop.Data["call_id"].(string)
	if pop.Data["caller"] != "13800138000" || pop.Data["extension"] != "1001" || id == "" {
		t.Fatalf("screenpop: %v", pop.Data)
	}

	tk := e.register("来电反映食品过期", "food-safety", "13800138000", "").Number
	if r := e.do(nil, "POST", "/api/v1/calls/"+id+"/ticket", map[string]string{"ticket": tk}, agent); r.Status != 200 {
		t.Fatalf("link ticket: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/calls/"+id+"/transfer", map[string]string{"target": "12316"}, agent); r.Status != http.StatusBadRequest {
		t.Fatalf("transfer to an unconfigured target: %d %s, want 400", r.Status, r.Body)
	}
	// The caller's ACK may still be on its way when the screen pops: until then the call
	// is not talking yet and a transfer is refused with 409.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.do(nil, "POST", "/api/v1/calls/"+id+"/transfer", url.Values{"target": {"12315"}}, agent)
		if r.Status == 200 {
			if m := r.json(t); m["target"] != "12315" || m["transferred"] != true {
				t.Fatalf("transfer: %s", r.Body)
			}
			break
		}
		if r.Status != http.StatusConflict || time.Now().After(deadline) {
			t.Fatalf("transfer to 12315: %d %s", r.Status, r.Body)
		}
		time.Sleep(20 * time.Millisecond)
	}
	caller.wait(t)
	agentPhone.wait(t)
	hotline12315.wait(t)

	c := e.waitCall(t, id, agent, func(c map[string]any) bool { return c["outcome"] == "transferred" && c["ended_at"] != nil })
	if c["transfer_target"] != "12315" || c["ticket"] != tk || c["extension"] != "1001" || c["caller"] != "13800138000" {
		t.Fatalf("call record: %v", c)
	}
	var kinds []string
	if err := e.db.NewSelect().Table("ticket_events").Column("kind").
		Where("ticket_id = (SELECT id FROM tickets WHERE number = ?)", tk).Where("kind = 'call_transfer'").
		Scan(context.Background(), &kinds); err != nil || len(kinds) != 1 {
		t.Fatalf("transfer on the ticket's timeline: %v %v", kinds, err)
	}
	if a := tel.Agent("1001"); a.State == "talking" {
		t.Fatalf("agent not released after the transfer: %+v", a)
	}
}

// A call nobody answers leaves a callback task (漏接回拨); agent1 calls back from the
// console: their SIPp phone rings first, then the citizen's SIPp behind the outbound
// gateway; the attempt and its result are kept and the task is done.
func TestCallsSIPpCallback(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("SIPp journey: slow, skipped with -short")
	}
	citizen := udpPort(t)
	e, tel := newCallsEnv(t, func(c *telephony.Config) { c.Outbound = fmt.Sprintf("127.0.0.1:%d", citizen) })
	agent := e.token("agent1")

	sipp(t, "caller_no_agent.xml", udpPort(t), tel.Addr(), "-key", "caller", "13700137000").wait(t)
	var task map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for task == nil {
		r := e.do(nil, "GET", "/api/v1/callbacks", nil, agent)
		var got struct {
			Callbacks []map[string]any `json:"callbacks"`
		}
		if r.Status != 200 || json.Unmarshal([]byte(r.Body), &got) != nil {
			t.Fatalf("GET /api/v1/callbacks: %d %s", r.Status, r.Body)
		}
		if len(got.Callbacks) == 1 && got.Callbacks[0]["phone"] == "13700137000" && got.Callbacks[0]["status"] == "open" {
			task = got.Callbacks[0]
		} else if time.Now().After(deadline) {
			t.Fatalf("no callback task for the missed call: %s", r.Body)
		} else {
			time.Sleep(50 * time.Millisecond)
		}
	}
	id := strconv.FormatInt(int64(task["id"].(float64)), 10)

	// Without a registered phone the agent cannot call back.
	if r := e.do(nil, "POST", "/api/v1/callbacks/"+id+"/call", nil, agent); r.Status != http.StatusConflict {
		t.Fatalf("callback without a phone: %d %s, want 409", r.Status, r.Body)
	}
	citizenPhone := sipp(t, "citizen_callback.xml", citizen, "", "-key", "phone", "13700137000")
	phone := udpPort(t)
	agentPhone := sipp(t, "agent_callback.xml", phone, "", "-d", "200")
	registerPhone(t, tel, "1001", phone)
	events := e.agentEvents(t, agent)

	r := e.do(nil, "POST", "/api/v1/callbacks/"+id+"/call", nil, agent)
	if r.Status != http.StatusAccepted || r.json(t)["status"] != "calling" || r.json(t)["attempts"] != float64(1) {
		t.Fatalf("call back: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/callbacks/"+id+"/call", nil, agent); r.Status != http.StatusConflict {
		t.Fatalf("second callback while calling: %d %s, want 409", r.Status, r.Body)
	}
	if ev := nextEvent(t, events, "callback"); ev.Data["result"] != "answered" {
		t.Fatalf("callback event: %v", ev.Data)
	}
	agentPhone.wait(t)
	citizenPhone.wait(t)

	r = e.do(nil, "GET", "/api/v1/callbacks?status=done", nil, agent)
	if !strings.Contains(r.Body, `"phone":"13700137000"`) || !strings.Contains(r.Body, `"last_result":"answered"`) ||
		!strings.Contains(r.Body, `"attempts":1`) {
		t.Fatalf("done callbacks: %d %s", r.Status, r.Body)
	}
	var attempts []struct {
		Extension string    `bun:"extension"`
		Result    string    `bun:"result"`
		EndedAt   time.Time `bun:"ended_at"`
	}
	if err := e.db.NewSelect().Table("callback_attempts").Column("extension", "result", "ended_at").
		Where("task_id = ?", id).Scan(context.Background(), &attempts); err != nil {
		t.Fatal(err)
	}
	if len(attempts) != 1 || attempts[0].Extension != "1001" || attempts[0].Result != "answered" || attempts[0].EndedAt.IsZero() {
		t.Fatalf("attempts: %+v", attempts)
	}
}

// Without an outbound gateway a callback is refused with a reason naming the setting,
// rather than sent to a guessed host.
func TestCallsCallbackWithoutOutbound(t *testing.T) {
	t.Parallel()
	e, _ := newCallsEnv(t)
	ctx := context.Background()
	var id int64
	if err := e.db.NewRaw(`WITH c AS (INSERT INTO call_records (id, caller, dialled, extension, outcome, started_at, ended_at, caller_call_id)
		VALUES (gen_random_uuid(), '13700137000', '12345', '', 'no_agent', now(), now(), 'cid-missed') RETURNING id)
		INSERT INTO callback_tasks (call_id, phone, status, created_at, updated_at)
		SELECT id, '13700137000', 'open', now(), now() FROM c RETURNING id`).Scan(ctx, &id); err != nil {
		t.Fatal(err)
	}
	r := e.do(nil, "POST", fmt.Sprintf("/api/v1/callbacks/%d/call", id), nil, e.token("agent1"))
	if r.Status != http.StatusConflict || !strings.Contains(r.Body, "HOTLINE_SIP_OUTBOUND") {
		t.Fatalf("callback without outbound: %d %s", r.Status, r.Body)
	}
}

// A callback whose citizen is busy keeps the attempt and its result, and the task goes back
// to open for another try.
func TestCallsSIPpCallbackBusy(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("SIPp journey: slow, skipped with -short")
	}
	citizen := udpPort(t)
	e, tel := newCallsEnv(t, func(c *telephony.Config) { c.Outbound = fmt.Sprintf("127.0.0.1:%d", citizen) })
	agent := e.token("agent1")
	ctx := context.Background()
	var id int64
	if err := e.db.NewRaw(`WITH c AS (INSERT INTO call_records (id, caller, dialled, extension, outcome, started_at, ended_at, caller_call_id)
		VALUES (gen_random_uuid(), '13700137002', '12345', '', 'max_wait', now(), now(), 'cid-busy') RETURNING id)
		INSERT INTO callback_tasks (call_id, phone, status, created_at, updated_at)
		SELECT id, '13700137002', 'open', now(), now() FROM c RETURNING id`).Scan(ctx, &id); err != nil {
		t.Fatal(err)
	}
	citizenPhone := sipp(t, "citizen_busy.xml", citizen, "")
	phone := udpPort(t)
	agentPhone := sipp(t, "agent_answer.xml", phone, "")
	registerPhone(t, tel, "1001", phone)
	events := e.agentEvents(t, agent)

	if r := e.do(nil, "POST", fmt.Sprintf("/api/v1/callbacks/%d/call", id), nil, agent); r.Status != http.StatusAccepted {
		t.Fatalf("call back: %d %s", r.Status, r.Body)
	}
	if ev := nextEvent(t, events, "callback"); ev.Data["result"] != "busy" {
		t.Fatalf("callback event: %v", ev.Data)
	}
	citizenPhone.wait(t)
	agentPhone.wait(t)
	var task struct {
		Status     string `bun:"status"`
		Attempts   int    `bun:"attempts"`
		LastResult string `bun:"last_result"`
	}
	if err := e.db.NewSelect().Table("callback_tasks").Column("status", "attempts", "last_result").
		Where("id = ?", id).Scan(ctx, &task); err != nil {
		t.Fatal(err)
	}
	if task.Status != "open" || task.Attempts != 1 || task.LastResult != "busy" {
		t.Fatalf("task after a busy callback: %+v", task)
	}
	var results []string
	if err := e.db.NewSelect().Table("callback_attempts").Column("result").Where("task_id = ?", id).Scan(ctx, &results); err != nil ||
		len(results) != 1 || results[0] != "busy" {
		t.Fatalf("attempts: %v %v", results, err)
	}
}
