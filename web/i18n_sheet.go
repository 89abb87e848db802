package web

// The printed sheets' messages (ticket_sheet.go).
func init() {
	addMessages(map[string][2]string{
		"sheet.flow_title":    {"工单流转单", "Ticket work sheet"},
		"sheet.result_title":  {"办结单", "Ticket result sheet"},
		"sheet.open_flow":     {"打印流转单", "Print the work sheet"},
		"sheet.open_result":   {"打印办结单", "Print the result sheet"},
		"sheet.back":          {"返回工单", "Back to the ticket"},
		"sheet.print":         {"打印", "Print"},
		"sheet.hint":          {"按 A4 纵向打印；导航和表单不会打印。", "Prints on A4 portrait; navigation and forms are left out."},
		"sheet.flow":          {"流转记录", "Steps"},
		"sheet.when":          {"时间", "When"},
		"sheet.step":          {"环节", "Step"},
		"sheet.by":            {"办理人", "By"},
		"sheet.text":          {"意见", "Remarks"},
		"sheet.on_time":       {"是否按期", "On time"},
		"sheet.yes":           {"是", "Yes"},
		"sheet.no":            {"否", "No"},
		"sheet.late":          {"超期", "Late"},
		"sheet.resolver":      {"承办人", "Resolved by"},
		"sheet.visit":         {"回访情况", "Return visit"},
		"sheet.no_visit":      {"尚未回访", "Not visited yet"},
		"sheet.contacted":     {"是否联系", "Contacted"},
		"sheet.channel.phone": {"电话回访", "Phone visit"},
		"sheet.channel.sms":   {"短信评价", "SMS rating"},
		"sheet.channel.web":   {"网上评价", "Online rating"},
		"sheet.channel.ivr":   {"语音评价", "Keypad rating"},
		"sheet.sign_receiver": {"签收人（签字）", "Received by (signature)"},
		"sheet.sign_handler":  {"承办人（签字）", "Handled by (signature)"},
		"sheet.sign_reviewer": {"审核人（签字）", "Reviewed by (signature)"},
		"sheet.sign_date":     {"日期", "Date"},
		"sheet.printed":       {"打印时间", "Printed"},
		"sheet.beijing":       {"（北京时间）", "(Beijing time)"},
		"sheet.not_resolved":  {"该工单尚未办结，还没有办结单。", "This ticket is not resolved yet: it has no result sheet."},
	})
}
