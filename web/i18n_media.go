package web

func init() {
	addMessages(map[string][2]string{
		"error.recording_missing":   {"这通电话没有可播放的录音。", "This call has no recording to play."},
		"error.recording_forbidden": {"您无权收听这段录音。", "You may not hear this recording."},
		"error.recording_damaged":   {"录音文件缺失或已被改动，不能播放；已记录并报告。", "The recording's file is missing or has been altered, so it is not played; this has been logged."},
		"error.bad_prompt":          {"提示音文件不可用：须为 WAV（16 位 PCM，单声道或立体声，8 kHz 及以上），不超过 300 秒。", "The prompt cannot be used: it must be a WAV (16-bit PCM, mono or stereo, 8 kHz or more) of at most 300 s."},
		"error.no_media":            {"本进程不处理通话语音（HOTLINE_MEDIA=off）。", "This process carries no call audio (HOTLINE_MEDIA=off)."},
		"ticket.recordings":         {"通话录音", "Call recordings"},
		"event.call_rating":         {"来电评价", "Call rated by the citizen"},
		"ticket.recording_of":       {"通话", "Call"},
	})
}
