package web

// The console's intake fields (受理要素) and the gazetteer (console.go, tickets/gazetteer.go).
func init() {
	addMessages(map[string][2]string{
		"intake.district":     {"所属区", "District"},
		"intake.street":       {"所属街道", "Street"},
		"intake.from_address": {"留空则按地址识别", "Empty: read from the address"},
		"intake.place_found":  {"地址识别", "The address lies in"},
		"intake.place":        {"所属区街", "District and street"},
		"intake.confidential": {"保密", "Confidential"},
		"intake.anonymous":    {"匿名", "Anonymous"},
		"intake.reply_wanted": {"是否需回复", "Reply wanted"},
		"intake.no_reply":     {"无需回复", "No reply wanted"},
		"intake.flags":        {"受理要素", "Intake"},
		"intake.flags_hint":   {"保密：承办单位看不到市民的姓名和联系方式；匿名：不记录姓名，并按保密办理。", "Confidential: departments never see the citizen's name or contact details. Anonymous: no name is kept, and the ticket is confidential."},
		"intake.withheld":     {"保密（联系方式仅热线中心可见）", "Confidential (contact details with the centre only)"},
		"console.registered":  {"已登记工单", "Registered ticket"},
	})
}
