package web

func init() {
	addMessages(map[string][2]string{
		"outcall.title":          {"联系市民", "Contact the citizen"},
		"outcall.button":         {"拨打市民电话", "Call the citizen"},
		"outcall.hint":           {"先振铃您的话机，接听后经12345外呼市民（对方来电显示12345）；全程录音，您看不到完整号码。", "Your SIP phone rings first; when you answer, 12345 calls the citizen (who sees 12345). The call is recorded and you never see the full number."},
		"action.call_citizen":    {"正在呼叫：请接听您的话机，接听后将拨打市民电话", "Calling: answer your phone, then the citizen's rings"},
		"event.citizen_call":     {"经12345致电市民", "Called the citizen through 12345"},
		"outcall.error.no_phone": {"该工单没有可拨打的电话号码。", "This ticket has no phone number to call."},
		"outcall.error.calling":  {"正在呼叫该工单的市民，请等待本次通话结束。", "The citizen of this ticket is being called already; wait until that call ends."},
	})
}
