package web

// Batch actions (batch.go).
func init() {
	addMessages(map[string][2]string{
		"batch.accept":     {"批量签收", "Accept the chosen"},
		"batch.hint":       {"勾选下方工单后批量签收；每张工单各自记录。", "Tick tickets below to accept them at once; each is recorded on its own."},
		"batch.choose":     {"选择", "Choose"},
		"batch.summary":    {"已完成 %d 张，未完成 %d 张。", "%d done, %d not done."},
		"batch.bad_number": {"不是工单编号", "not a ticket number"},
		"batch.title":      {"批量操作结果", "Batch result"},
		"batch.done":       {"已完成", "Done"},
		"batch.back":       {"返回工单列表", "Back to the list"},
		"batch.dispatch":   {"批量派单/改派", "Dispatch the chosen"},
		"batch.export":     {"导出所选", "Export the chosen"},
	})
	for msg, key := range map[string]string{
		"choose at least one ticket":       "batch.none_chosen",
		"at most 500 tickets in one batch": "batch.too_many",
		"must be accept or dispatch":       "batch.bad_action",
	} {
		fieldMsgKeys[msg] = key
	}
	addMessages(map[string][2]string{
		"batch.none_chosen": {"请至少选择一张工单", "choose at least one ticket"},
		"batch.too_many":    {"一次最多 500 张工单", "at most 500 tickets in one batch"},
		"batch.bad_action":  {"应为 accept（签收）或 dispatch（派单）", "must be accept or dispatch"},
		"field.numbers":     {"工单", "Tickets"},
		"field.action":      {"操作", "Action"},
	})
}

// The exports' title and added columns (export.go).
func init() {
	addMessages(map[string][2]string{
		"export.heading":        {"12345 工单导出 · %s · 导出于 %s（%s）", "12345 tickets · %s · exported %s (%s)"},
		"export.resolved_at":    {"办结时间", "Resolved at"},
		"export.late":           {"是否超期", "Late"},
		"export.resolution":     {"办结内容", "Result text"},
		"export.list.open":      {"在办工单", "Open tickets"},
		"export.list.overdue":   {"超期工单", "Overdue tickets"},
		"export.list.due-soon":  {"即将到期工单", "Tickets due soon"},
		"export.list.returned":  {"待审核退单", "Returns to review"},
		"export.list.resolved":  {"已办结待回访工单", "Resolved, awaiting the visit"},
		"export.list.selection": {"所选工单", "Chosen tickets"},
	})
}

// How the citizen was reached for a result (办结).
func init() {
	addMessages(map[string][2]string{
		"ticket.contact_method": {"联系方式", "Citizen reached by"},
		"ticket.first_contact":  {"首次联系", "first contact"},
		"contact.phone":         {"电话", "Phone"},
		"contact.visit":         {"上门", "Visit"},
		"contact.sms":           {"短信", "SMS"},
		"contact.online":        {"网上", "Online"},
		"contact.letter":        {"信函", "Letter"},
		"contact.none":          {"未联系", "Not reached"},
		"field.contact_method":  {"联系方式", "Citizen reached by"},
	})
}
