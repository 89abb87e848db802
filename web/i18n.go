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
