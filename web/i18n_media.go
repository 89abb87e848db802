package web

func init() {
	addMessages(map[string][2]string{
		"error.recording_missing":   {"这通电话没有可播放的录音。", "This call has no recording to play."},
		"error.recording_forbidden": {"您无权收听这段录音。", "You may not hear this recording."},
		"error.recording_damaged":   {"录音文件缺失或已被改动，不能播放；已记录并报告。", "The recording's file is missing or has been altered, so it is not played; this has been logged."},
		"ticket.recordings":         {"通话录音", "Call recordings"},
		"event.call_rating":         {"来电评价", "Call rated by the citizen"},
		"ticket.recording_of":       {"通话", "Call"},
	})
}
