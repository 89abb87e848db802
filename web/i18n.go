package web

import (
	"net/http"
	"strings"
	"time"
)

// The staff web speaks Chinese first; English is a switch kept in the "lang" cookie.

// messages maps a key to its Chinese and English text.
var messages = map[string][2]string{
	"app.name":             {"12345 政务服务便民热线", "12345 Government Service Hotline"},
	"login.title":          {"工作人员登录", "Staff login"},
	"login.username":       {"用户名", "Username"},
	"login.password":       {"密码", "Password"},
	"login.submit":         {"登录", "Log in"},
	"login.bad":            {"用户名或密码错误", "Wrong username or password"},
	"login.locked":         {"连续登录失败次数过多，账号已临时锁定，请稍后再试", "Too many failed logins: the account is locked for a while, try again later"},
	"logout":               {"退出", "Log out"},
	"logout.everywhere":    {"退出所有设备", "Log out everywhere"},
	"lang.switch":          {"English", "中文"},
	"error.title":          {"出错了", "Something went wrong"},
	"nav.console":          {"受理台", "Agent console"},
	"nav.workbench":        {"承办工作台", "Workbench"},
	"nav.board":            {"督办看板", "Supervisor board"},
	"nav.tickets":          {"工单查询", "Tickets"},
	"nav.admin":            {"系统管理", "Administration"},
	"role.agent":           {"话务员", "Agent"},
	"role.dispatcher":      {"派单员", "Dispatcher"},
	"role.handler":         {"承办人", "Handler"},
	"role.head":            {"部门负责人", "Department head"},
	"role.supervisor":      {"督办员", "Supervisor"},
	"role.admin":           {"管理员", "Administrator"},
	"role.leader":          {"领导", "Leader"},
	"role.system":          {"系统", "System"},
	"status.registered":    {"已受理", "Registered"},
	"status.dispatched":    {"已派单", "Dispatched"},
	"status.accepted":      {"已签收", "Accepted"},
	"status.returned":      {"已退单", "Returned"},
	"status.resolved":      {"已办结", "Resolved"},
	"status.closed":        {"已结案", "Closed"},
	"type.consultation":    {"咨询", "Consultation"},
	"type.help":            {"求助", "Help"},
	"type.complaint":       {"投诉", "Complaint"},
	"type.report":          {"举报", "Report"},
	"type.suggestion":      {"建议", "Suggestion"},
	"type.praise":          {"表扬", "Praise"},
	"action.register":      {"受理", "Register"},
	"action.dispatch":      {"派单", "Dispatch"},
	"action.accept":        {"签收", "Accept"},
	"action.return":        {"退单", "Return"},
	"action.feedback":      {"反馈", "Feedback"},
	"action.note":          {"内部备注", "Internal note"},
	"action.co_reply":      {"协办意见", "Co-handler reply"},
	"action.resolve":       {"办结", "Resolve"},
	"action.close":         {"结案", "Close"},
	"action.reopen":        {"重办", "Reopen"},
	"action.answer":        {"直接答复", "Answer directly"},
	"event.phone_revealed": {"查看完整号码", "Phone number revealed"},
	"clock.green":          {"正常", "On time"},
	"clock.yellow":         {"临近", "Due soon"},
	"clock.red":            {"紧急", "Urgent"},
	"clock.overdue":        {"超期", "Overdue"},
	"clock.none":           {"—", "—"},
	"due.accept":           {"签收时限", "Accept by"},
	"due.feedback":         {"反馈时限", "Feedback by"},
	"due.resolve":          {"办结时限", "Resolve by"},
	"due.callback":         {"回访时限", "Call back by"},
	"ticket.number":        {"工单编号", "Ticket"},
	"ticket.type":          {"诉求类型", "Type"},
	"ticket.category":      {"诉求分类", "Category"},
	"ticket.status":        {"状态", "Status"},
	"ticket.title":         {"标题", "Title"},
	"ticket.description":   {"诉求内容", "Description"},
	"ticket.address":       {"地址", "Address"},
	"ticket.caller":        {"来电人", "Caller"},
	"ticket.phone":         {"联系电话", "Phone"},
	"ticket.department":    {"承办单位", "Department"},
	"ticket.co":            {"协办单位", "Co-handlers"},
	"ticket.channel":       {"渠道", "Channel"},
	"ticket.created":       {"受理时间", "Registered at"},
	"ticket.priority":      {"紧急程度", "Priority"},
	"ticket.resolution":    {"办理结果", "Result"},
	"ticket.timeline":      {"全程记录", "Timeline"},
	"ticket.deadlines":     {"办理时限", "Deadlines"},
	"ticket.public":        {"公开", "Public"},
	"ticket.internal":      {"内部", "Internal"},
	"ticket.reveal":        {"查看完整号码", "Reveal number"},
	"ticket.reason":        {"原因", "Reason"},
	"ticket.text":          {"内容", "Text"},
	"ticket.clock":         {"时限状态", "Clock"},
	"ticket.due":           {"时限", "Due"},
	"ticket.none":          {"暂无工单", "No tickets"},
	"form.submit":          {"提交", "Submit"},
	"form.search":          {"搜索", "Search"},
	"form.save":            {"保存", "Save"},

	// The escalation area (escalation_pages.go, templates/escalation/).
	"due.notice":                      {"督办答复时限", "Notice reply by"},
	"event.escalation":                {"催办", "Escalation"},
	"event.extend":                    {"延期（已批准）", "Extension approved"},
	"event.extension_requested":       {"申请延期", "Extension asked for"},
	"event.extension_refused":         {"延期未获批准", "Extension refused"},
	"event.supervision_issued":        {"下发督办单", "Supervision notice issued"},
	"event.supervision_replied":       {"答复督办单", "Supervision notice answered"},
	"action.extension_request":        {"已提交延期申请", "Extension asked for"},
	"action.extension_approve":        {"已批准延期", "Extension approved"},
	"action.extension_refuse":         {"已不予延期", "Extension refused"},
	"action.supervision_issue":        {"已下发督办单", "Supervision notice issued"},
	"action.supervision_reply":        {"已答复督办单", "Supervision notice answered"},
	"ext.title":                       {"延期申请", "Extension requests"},
	"ext.ask":                         {"申请延期", "Ask for an extension"},
	"ext.new_due":                     {"申请延至", "New deadline"},
	"ext.old_due":                     {"原办结时限", "Current deadline"},
	"ext.reason":                      {"延期理由", "Reason"},
	"ext.submit":                      {"提交延期申请", "Send the request"},
	"ext.pending":                     {"延期申请待审批", "Extension waiting for approval"},
	"ext.requested":                   {"申请时间", "Asked at"},
	"ext.by":                          {"申请人", "Asked by"},
	"ext.decided":                     {"审批", "Decision"},
	"ext.approve":                     {"批准延期", "Approve"},
	"ext.approve_note":                {"审批意见（选填）", "Note (optional)"},
	"ext.refuse":                      {"不予延期", "Refuse"},
	"ext.refuse_reason":               {"不予延期的理由", "Reason for refusing"},
	"ext.queue":                       {"延期审批", "Extension approvals"},
	"ext.none":                        {"暂无待审批的延期申请", "No extension requests waiting"},
	"ext.closed":                      {"办结时限已过，不能再申请延期", "The resolution deadline has passed: an extension can no longer be asked for"},
	"ext.status.pending":              {"待审批", "Pending"},
	"ext.status.approved":             {"已批准", "Approved"},
	"ext.status.refused":              {"未批准", "Refused"},
	"notice.title":                    {"督办单", "Supervision notices"},
	"notice.number":                   {"督办单号", "Notice"},
	"notice.dept_title":               {"本单位待答复的督办单", "Supervision notices to answer"},
	"notice.issue":                    {"下发督办单", "Issue a supervision notice"},
	"notice.text":                     {"督办要求", "What is demanded"},
	"notice.within":                   {"答复期限（工作日）", "Reply within (working days)"},
	"notice.due":                      {"答复期限", "Reply by"},
	"notice.reply":                    {"答复", "Reply"},
	"notice.reply_text":               {"答复内容", "Reply"},
	"notice.issued":                   {"下发", "Issued"},
	"notice.open":                     {"待答复", "Open"},
	"notice.overdue":                  {"逾期未答复", "Overdue"},
	"notice.replied":                  {"已答复", "Replied"},
	"notice.recent":                   {"最近答复", "Recently answered"},
	"notice.none":                     {"暂无督办单", "No supervision notices"},
	"esc.title":                       {"超期催办", "Escalations"},
	"esc.level":                       {"第 %d 级", "Level %d"},
	"esc.warned":                      {"预警", "Warning"},
	"esc.since":                       {"升级时间", "Escalated at"},
	"esc.clock":                       {"超期时限", "Deadline missed"},
	"esc.overdue":                     {"已超期", "Overdue by"},
	"esc.hours":                       {"%d 小时", "%d h"},
	"esc.days":                        {"%d 天", "%d days"},
	"esc.total":                       {"合计", "Total"},
	"esc.none":                        {"暂无超期升级的工单", "Nothing escalated"},
	"esc.supervise":                   {"督办", "Supervise"},
	"esc.levels":                      {"第 1 级：部门负责人和督办员；每上一级：上级单位负责人；最高一级：市领导", "Level 1: the department's head and the supervisors; each level up: the parent's head; the top: the city leadership"},
	"notify.title":                    {"通知", "Notifications"},
	"notify.unread":                   {"条未读", "unread"},
	"notify.read":                     {"标为已读", "Mark read"},
	"notify.read_all":                 {"全部标为已读", "Mark all read"},
	"notify.none":                     {"暂无通知", "No notifications"},
	"notify.kind.warned":              {"时限预警", "Deadline warning"},
	"notify.kind.escalated":           {"超期升级", "Escalated"},
	"notify.kind.extension_requested": {"延期申请", "Extension asked for"},
	"notify.kind.extension_approved":  {"延期已批准", "Extension approved"},
	"notify.kind.extension_refused":   {"延期未获批准", "Extension refused"},
	"notify.kind.supervision_issued":  {"督办单", "Supervision notice"},
	"notify.kind.supervision_replied": {"督办单已答复", "Notice answered"},
}

// tr translates key into lang; an unknown key shows as itself so a missing entry is visible.
func tr(lang, key string) string {
	return trOr(lang, key, key)
}

// trOr translates key into lang, or returns def for an unknown key.
func trOr(lang, key, def string) string {
	m, ok := messages[key]
	if !ok {
		return def
	}
	if lang == "en" {
		return m[1]
	}
	return m[0]
}

// langOf is the request's language: English when the cookie says so, Chinese otherwise.
func langOf(r *http.Request) string {
	if c, err := r.Cookie("lang"); err == nil && c.Value == "en" {
		return "en"
	}
	return "zh"
}

// getLang switches the language and goes back where the user was.
func (s *Server) getLang(w http.ResponseWriter, r *http.Request) {
	lang := r.PathValue("lang")
	if lang != "en" {
		lang = "zh"
	}
	http.SetCookie(w, &http.Cookie{Name: "lang", Value: lang, Path: "/", MaxAge: int((365 * 24 * time.Hour).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	next := safeNext(r.URL.Query().Get("next"))
	if next == "" || strings.HasPrefix(next, "/lang/") {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}
