package web

// The waiting caller's part of telephony: the callback offer's outcome, voice messages on the
// missed-call list, and the prompts' administration page.
func init() {
	addMessages(map[string][2]string{
		"call.outcome.callback_requested": {"来电者选择回拨", "Caller asked to be called back"},
		"desk.outcome.callback_requested": {"选择回拨", "Asked for a callback"},
		"callbacks.messages":              {"留言", "Voice messages"},
		"callbacks.message":               {"来电留言", "Caller's voice message"},
	})
}
