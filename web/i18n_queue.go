package web

// The waiting caller's part of telephony: the callback offer's outcome, voice messages on the
// missed-call list, and the prompts' administration page.
func init() {
	addMessages(map[string][2]string{
		"call.outcome.callback_requested": {"来电者选择回拨", "Caller asked to be called back"},
		"desk.outcome.callback_requested": {"选择回拨", "Asked for a callback"},
		"callbacks.messages":              {"留言", "Voice messages"},
		"callbacks.message":               {"来电留言", "Caller's voice message"},

		"prompts.title":    {"语音提示", "Voice prompts"},
		"prompts.hint":     {"来电者听到的各段提示音。上传替换后，新来电立即使用；可随时恢复安装时生成的默认提示音。", "The prompts callers hear. An upload is used from the next call on; the default made at installation can be restored at any time."},
		"prompts.limits":   {"文件须为 WAV（16 位 PCM，单声道或立体声，8 kHz 及以上，其他采样率自动转为 8 kHz），不超过 %d 秒。", "The file must be a WAV (16-bit PCM, mono or stereo, 8 kHz or more; other rates are converted to 8 kHz) of at most %d seconds."},
		"prompts.purpose":  {"用途", "Purpose"},
		"prompts.length":   {"时长", "Length"},
		"prompts.current":  {"当前提示音", "Current prompt"},
		"prompts.replace":  {"替换", "Replace"},
		"prompts.file":     {"WAV 文件", "WAV file"},
		"prompts.upload":   {"上传", "Upload"},
		"prompts.revert":   {"恢复默认", "Restore the default"},
		"prompts.custom":   {"已自定义", "Uploaded"},
		"prompts.default":  {"默认", "Default"},
		"prompts.no_media": {"本进程不处理通话语音，无法在此管理提示音。", "This process carries no call audio; its prompts cannot be managed here."},
		"prompts.missing":  {"缺失（来电者听到静音）", "Missing (callers hear silence)"},
		"prompts.saved":    {"已替换：", "Replaced:"},
		"prompts.reverted": {"已恢复默认：", "Restored the default:"},

		"prompts.purpose.greeting":         {"欢迎语（含录音提示）", "Greeting (with the recording notice)"},
		"prompts.purpose.queue":            {"排队提示", "Queue announcement"},
		"prompts.purpose.hold":             {"等待音乐", "Hold music"},
		"prompts.purpose.survey":           {"满意度评价", "Satisfaction survey"},
		"prompts.purpose.thanks":           {"评价致谢", "Thanks for the rating"},
		"prompts.purpose.out-of-hours":     {"非工作时间", "Out of hours"},
		"prompts.purpose.no-agent":         {"无坐席接听（请留言）", "No agent available (leave a message)"},
		"prompts.purpose.callback-offer":   {"回拨提议", "Callback offer"},
		"prompts.purpose.callback-confirm": {"回拨确认", "Callback confirmation"},
		"prompts.purpose.message-thanks":   {"留言致谢", "Thanks for the voice message"},

		"prompts.about.greeting":         {"接通后首先播放，须告知本次通话将被录音。", "Played first on answer; must say that the call is recorded."},
		"prompts.about.queue":            {"排队位置的分段语音不全时播放的通用排队提示。", "The general queue announcement, played when the parts of the position are missing."},
		"prompts.about.hold":             {"排队等待期间循环播放。", "Looped while the caller waits."},
		"prompts.about.survey":           {"坐席先挂机后询问评价：满意按1，基本满意按2，不满意按3。", "Asked after the agent hangs up: 1 satisfied, 2 basically satisfied, 3 dissatisfied."},
		"prompts.about.thanks":           {"按键评价后播放。", "Played after the rating."},
		"prompts.about.out-of-hours":     {"非工作时间来电时播放，随后可留言。", "Played to calls out of hours, before the voice message."},
		"prompts.about.no-agent":         {"无人可接听（无坐席签入或排队超时）时播放，随后提示音响起即可留言，最长 60 秒，按 # 结束。", "Played when nobody can answer (no agent signed in, or the maximum wait reached); after the beep the caller may leave a message of up to 60 s, ended by #."},
		"prompts.about.callback-offer":   {"预计等待较长时，在排队播报后提示“按1稍后回电”。", "After the queue announcement when the estimated wait is long: press 1 to be called back."},
		"prompts.about.callback-confirm": {"来电者按1后播放，确认已登记回电。", "Played after the caller pressed 1: the callback is booked."},
		"prompts.about.message-thanks":   {"留言结束后播放。", "Played after the voice message."},

		"prompts.refused.not_wav":  {"文件不是 WAV 音频，未采用。", "The file is not WAV audio; it was not used."},
		"prompts.refused.format":   {"音频格式不支持：须为 16 位 PCM，单声道或立体声，采样率不低于 8 kHz。", "Unsupported audio format: it must be 16-bit PCM, mono or stereo, at 8 kHz or more."},
		"prompts.refused.too_long": {"音频太长：提示音不得超过 300 秒。", "The audio is too long: a prompt may last at most 300 seconds."},
		"prompts.refused.empty":    {"文件中没有音频数据。", "The file holds no audio."},
		"prompts.refused.too_big":  {"文件太大，未采用。", "The file is too large; it was not used."},
		"prompts.refused.purpose":  {"没有这一用途的提示音。", "There is no prompt of this purpose."},
	})
}
