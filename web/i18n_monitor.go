package web

func init() {
	addMessages(map[string][2]string{
		"monitor.error.mode":           {"监听方式须为监听、耳语或强插。", "The monitoring mode must be listen, whisper or barge."},
		"monitor.error.not_registered": {"您的话机（分机）未注册，无法监听：请先让话机登录。", "Your SIP phone (your extension) is not registered, so it cannot be called: register the phone first."},
		"monitor.error.not_live":       {"这通电话已不在通话中，或其语音不经本系统。", "This call is no longer in conversation, or its audio does not pass through hotline."},
		"monitor.error.monitored":      {"这通电话已有人在监听。", "Someone is already monitoring this call."},
		"monitor.error.not_monitored":  {"这通电话没有人在监听。", "Nobody is monitoring this call."},
		"monitor.error.no_answer":      {"话机未接听。", "The phone did not answer."},
		"monitor.live_calls":           {"通话中", "Calls in conversation"},
		"monitor.none":                 {"目前没有通话。", "No call is in conversation now."},
		"monitor.caller":               {"来电号码", "Caller"},
		"monitor.agent":                {"坐席分机", "Agent's extension"},
		"monitor.since":                {"接通时间", "Answered at"},
		"monitor.state":                {"监听", "Monitoring"},
		"monitor.mode.listen":          {"监听", "Listen"},
		"monitor.mode.whisper":         {"耳语", "Whisper"},
		"monitor.mode.barge":           {"强插", "Barge in"},
		"monitor.stop":                 {"结束监听", "Stop monitoring"},
		"monitor.by":                   {"监听分机", "Monitored from extension"},
		"monitor.consult":              {"三方通话", "Three-way consult"},
		"monitor.hint":                 {"系统会呼叫您的话机；接听后按所选方式加入通话。监听和耳语不进入录音，强插的声音录入坐席声道。", "hotline rings your own phone; answer it to join the call in the mode chosen. Listening and whispering are not recorded; a barge-in is recorded on the agent's channel."},
		"consult.target":               {"三方通话对象", "Party to bring in"},
		"consult.leave":                {"我退出（转接）", "Leave (transfer)"},
		"consult.drop":                 {"挂断第三方", "Drop the third party"},
		"event.call_consult":           {"三方通话", "Three-way consult"},
	})
}
