package web

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/telephony"
)

// One click calls the citizen of a ticket in the 回访 queue through the SIP front end: without
// it the call answers 503, without an outbound gateway 409 naming the setting and no button
// is shown; with one, the queue offers the button (alt+c on the first row) and never the
// number; a ticket not resolved or an agent whose phone is not registered is refused (409).
func TestVisitQueueCall(t *testing.T) {
	t.Parallel()
	plain := newStaffEnv(t)
	tk := plain.register("公司拖欠三个月工资", "wage-arrears", "13700137000", "hrss")
	plain.resolve(tk.Number, "hrss", "已督促公司支付")
	if r := plain.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/visits/call", nil, plain.token("agent1")); r.Status != http.StatusServiceUnavailable {
		t.Fatalf("without telephony: %d %s", r.Status, r.Body)
	}
	mustLack(t, "queue without telephony", plain.do(plain.browser("agent1"), "GET", "/visits", nil, nil), "/"+tk.Number+"/call")

	noOut, _ := newCallsEnv(t)
	tk = noOut.register("公司拖欠三个月工资", "wage-arrears", "13700137000", "hrss")
	noOut.resolve(tk.Number, "hrss", "已督促公司支付")
	if r := noOut.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/visits/call", nil, noOut.token("agent1")); r.Status != http.StatusConflict ||
		!strings.Contains(r.Body, "HOTLINE_SIP_OUTBOUND") {
		t.Fatalf("without an outbound gateway: %d %s", r.Status, r.Body)
	}
	mustLack(t, "queue without an outbound gateway", noOut.do(noOut.browser("agent1"), "GET", "/visits", nil, nil), "/"+tk.Number+"/call")

	e, _ := newCallsEnv(t, func(c *telephony.Config) { c.Outbound = fmt.Sprintf("127.0.0.1:%d", udpPort(t)) })
	tk = e.register("公司拖欠三个月工资", "wage-arrears", "13700137000", "hrss")
	open := e.register("小区噪音扰民", "wage-arrears", "13700137001", "hrss")
	e.resolve(tk.Number, "hrss", "已督促公司支付")
	page := e.do(e.browser("agent1"), "GET", "/visits", nil, nil)
	mustContain(t, "queue with an outbound gateway", page, `action="/visits/`+tk.Number+`/call"`, `data-key="alt+c"`, "137****7000")
	mustLack(t, "queue with an outbound gateway", page, "13700137000")
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/visits/call", nil, e.token("agent1")); r.Status != http.StatusConflict {
		t.Fatalf("the agent's phone not registered: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/tickets/"+open.Number+"/visits/call", nil, e.token("agent1")); r.Status != http.StatusConflict {
		t.Fatalf("a ticket not resolved: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/visits/call", nil, e.token("handler-hrss")); r.Status != http.StatusForbidden {
		t.Fatalf("a department's handler: %d %s", r.Status, r.Body)
	}
}

// The queue's call through real phones: agent1's SIPp phone rings first, then the citizen's
// SIPp behind the outbound gateway, and the agent's stream hears the call was answered.
func TestVisitQueueCallSIPp(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("SIPp journey: slow, skipped with -short")
	}
	citizen := udpPort(t)
	e, tel := newCallsEnv(t, func(c *telephony.Config) { c.Outbound = fmt.Sprintf("127.0.0.1:%d", citizen) })
	agent := e.token("agent1")
	tk := e.register("公司拖欠三个月工资", "wage-arrears", "13700137000", "hrss")
	e.resolve(tk.Number, "hrss", "已督促公司支付")
	citizenPhone := sipp(t, "citizen_callback.xml", citizen, "", "-key", "phone", "13700137000")
	phone := udpPort(t)
	agentPhone := sipp(t, "agent_callback.xml", phone, "", "-d", "200")
	registerPhone(t, tel, "1001", phone)
	events := e.agentEvents(t, agent)
	if r := e.do(nil, "POST", "/api/v1/tickets/"+tk.Number+"/visits/call", nil, agent); r.Status != http.StatusAccepted {
		t.Fatalf("call the citizen: %d %s", r.Status, r.Body)
	}
	if ev := nextEvent(t, events, "visit_call"); ev.Data["result"] != "answered" {
		t.Fatalf("visit call event: %v", ev.Data)
	}
	agentPhone.wait(t)
	citizenPhone.wait(t)
}
