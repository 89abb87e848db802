package web

// The outcomes of calls to 12345 (call_records.outcome), as the call list shows them.
func init() {
	addMessages(map[string][2]string{
		"call.outcome.in_progress":       {"通话中", "In progress"},
		"call.outcome.answered":          {"已接听", "Answered"},
		"call.outcome.abandoned_queue":   {"排队时挂断", "Caller hung up while queued"},
		"call.outcome.abandoned_ringing": {"振铃时挂断", "Caller hung up while an agent's phone rang"},
		"call.outcome.no_agent":          {"无坐席接听", "No agent available"},
		"call.outcome.max_wait":          {"排队超时", "Waited too long in the queue"},
		"call.outcome.transferred":       {"已转接", "Transferred"},
		"call.outcome.failed":            {"呼叫失败", "Failed"},
		"call.outcome.dropped":           {"通话中断（服务节点故障）", "Dropped: the server handling it failed"},
	})
}
