package web

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hotline-city/hotline/intake"
)

// The site speaks Chinese first; English is a switch kept in the "lang" cookie. One catalogue
// serves the staff pages and the citizens' pages.

// messages maps a key to its Chinese and English text.
var messages = map[string][2]string{
	"app.name":             {"12345 政务服务便民热线", "12345 Government Service Hotline"},
	"login.title":          {"工作人员登录", "Staff login"},
	"login.username":       {"用户名", "Username"},
	"login.password":       {"密码", "Password"},
	"login.submit":         {"登录", "Log in"},
	"login.bad":            {"用户名或密码错误。连续输错后，每次重试需多等片刻。", "Wrong username or password. After repeated mistakes each new try has to wait a little longer."},
	"login.throttled":      {"此地址登录失败次数过多，请稍后再试。", "Too many failed logins from this address. Please wait and try again."},
	"login.busy":           {"登录人数过多，请几秒后再试。", "Too many people are logging in right now. Please try again in a few seconds."},
	"login.unavailable":    {"系统暂时无法登录，请稍后再试。", "Logging in is unavailable for the moment. Please try again shortly."},
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
	"event.extension_closed":          {"延期申请自动关闭", "Extension request closed"},
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
	"ext.status.closed":               {"已自动关闭", "Closed"},
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
	// The working-day calendar (admin_calendar.go, templates/staff/_calendar.html).
	"event.calendar_moved":   {"办结时限随工作日历调整", "Deadline moved with the calendar"},
	"cal.title":              {"工作日历（法定节假日与调休）", "Working-day calendar (public holidays and adjusted working days)"},
	"cal.live":               {"保存后立即生效：运行中的服务会自动重新加载日历，此后计算的时限按新日历计算，无需重启。", "Changes apply as soon as they are saved: running services reload the calendar by themselves and count deadlines on it from then on, without a restart."},
	"cal.missing.admin":      {"%d 年的法定节假日和调休安排尚未录入：跨入 %d 年的办结时限将不计节假日。国务院办公厅发布通知后，请在此录入。", "The public holidays and adjusted working days of %d are not entered yet: deadlines reaching into %d count no holidays. Enter them here once the State Council publishes its notice."},
	"cal.missing.board":      {"%d 年的法定节假日和调休安排尚未录入：跨入 %d 年的办结时限将不计节假日。请联系系统管理员在工作日历中录入。", "The public holidays and adjusted working days of %d are not entered yet: deadlines reaching into %d count no holidays. Ask an administrator to enter them in the working-day calendar."},
	"cal.missing.link":       {"录入 %d 年的安排", "Enter %d"},
	"cal.days":               {"已录入的日期", "Entered days"},
	"cal.date":               {"日期", "Date"},
	"cal.kind":               {"类型", "Kind"},
	"cal.name":               {"名称", "Name"},
	"cal.kind.holiday":       {"放假", "Holiday"},
	"cal.kind.workday":       {"调休上班", "Adjusted working day"},
	"cal.delete":             {"删除", "Delete"},
	"cal.day.title":          {"新增 / 修改一天", "Add or change a day"},
	"cal.year.title":         {"%d 年日历", "Calendar of %d"},
	"cal.year.choose":        {"年份", "Year"},
	"cal.year.show":          {"查看", "Show"},
	"cal.year.uncovered":     {"%d 年尚无任何录入：下面只按周末区分。", "%d has no entries: below, only weekends are off."},
	"cal.legend":             {"图例", "Legend"},
	"cal.legend.holiday":     {"法定节假日，放假", "Public holiday, off"},
	"cal.legend.workday":     {"调休，周末上班", "Adjusted: a weekend day worked"},
	"cal.legend.weekend":     {"周末", "Weekend"},
	"cal.mark.holiday":       {"休", "off"},
	"cal.mark.workday":       {"班", "work"},
	"cal.wd.1":               {"一", "Mon"},
	"cal.wd.2":               {"二", "Tue"},
	"cal.wd.3":               {"三", "Wed"},
	"cal.wd.4":               {"四", "Thu"},
	"cal.wd.5":               {"五", "Fri"},
	"cal.wd.6":               {"六", "Sat"},
	"cal.wd.7":               {"日", "Sun"},
	"cal.import.title":       {"录入一年的安排", "Enter a year's notice"},
	"cal.import.help":        {"每行一天：日期、类型、名称，用逗号或制表符分开（可从表格直接复制粘贴）。类型写 放假 / 休 / holiday，或 上班 / 班 / workday。表格即该年的全部安排：该年已有而表格中没有的日期将被删除。", "One day a line: date, kind, name, separated by commas or tabs (paste straight from a spreadsheet). Kind is 放假 / 休 / holiday or 上班 / 班 / workday. The table is the whole year: days of that year already entered but not in the table are removed."},
	"cal.import.year":        {"年份", "Year"},
	"cal.import.table":       {"粘贴表格", "Paste the table"},
	"cal.import.file":        {"或上传 CSV 文件", "or upload a CSV file"},
	"cal.import.preview":     {"预览变更", "Preview the changes"},
	"cal.preview.title":      {"%d 年日历变更预览（尚未保存）", "Changes to %d (not saved yet)"},
	"cal.preview.counts":     {"新增 %d 天，删除 %d 天，修改 %d 天。", "%d days added, %d removed, %d changed."},
	"cal.preview.none":       {"与现有日历相同，没有变更。", "Same as the calendar now: nothing changes."},
	"cal.preview.op":         {"变更", "Change"},
	"cal.preview.op.added":   {"新增", "Added"},
	"cal.preview.op.removed": {"删除", "Removed"},
	"cal.preview.op.changed": {"修改", "Changed"},
	"cal.preview.before":     {"原为", "Before"},
	"cal.preview.after":      {"改为", "After"},
	"cal.preview.moves":      {"保存后，%d 件在办工单的办结时限将调整：", "Saving moves the resolution deadline of %d open tickets:"},
	"cal.preview.rule":       {"在办工单（已派单、已签收）尚未到期的办结时限保留原有的剩余工作日数，按新日历顺延或提前，并记入每件工单的办理过程；已到期的时限不变。", "Open tickets (dispatched or accepted) whose resolution deadline is still ahead keep the working days they had left: the deadline moves with the new calendar, noted on each ticket's timeline. Deadlines already reached stay."},
	"cal.preview.nomoves":    {"没有在办工单的办结时限需要调整。", "No open ticket's resolution deadline moves."},
	"cal.preview.from":       {"原办结时限", "Deadline now"},
	"cal.preview.to":         {"调整后", "New deadline"},
	"cal.preview.more":       {"另有 %d 件未列出。", "%d more not listed."},
	"cal.preview.confirm":    {"确认保存", "Save these changes"},
	"cal.preview.cancel":     {"取消", "Cancel"},
	"cal.saved.moved":        {"已调整 %s 件在办工单的办结时限。", "Resolution deadlines of %s open tickets moved."},
	"cal.err.title":          {"表格有误，未保存任何内容：", "The table has errors; nothing was saved:"},
	"cal.err.syntax":         {"第 %d 行：格式无法识别（%s）", "Line %d: cannot be read (%s)"},
	"cal.err.fields":         {"第 %d 行：应为 3 列（日期、类型、名称）", "Line %d: want 3 columns (date, kind, name)"},
	"cal.err.date":           {"第 %d 行：日期“%s”无效，应写作 2027-01-01", "Line %d: \"%s\" is not a date like 2027-01-01"},
	"cal.err.kind":           {"第 %d 行：类型“%s”无法识别，应为 放假 / 休 / holiday 或 上班 / 班 / workday", "Line %d: unknown kind \"%s\": want 放假 / 休 / holiday or 上班 / 班 / workday"},
	"cal.err.year":           {"第 %d 行：日期 %s 不在 %d 年内", "Line %d: %s is not in %d"},
	"cal.err.duplicate":      {"第 %d 行：日期 %s 重复，第 %d 行已填写", "Line %d: %s is given twice, first on line %d"},
	"cal.err.empty":          {"表格中没有任何日期", "The table has no days"},
	"cal.err.year_field":     {"请填写 2000 到 2100 之间的年份", "Give a year from 2000 to 2100"},
	"cal.err.file":           {"无法读取上传的文件", "The uploaded file cannot be read"},
	"cal.err.table":          {"无法读取提交的内容", "The form cannot be read"},
	// The citizens' pages.
	"site":                   {"12345 政务服务便民热线", "12345 Government Service Hotline"},
	"nav.complain":           {"我要投诉", "Make a complaint"},
	"nav.track":              {"查询进度", "Track a complaint"},
	"complain.title":         {"网上诉求", "Online complaint"},
	"complain.intro":         {"无需登录。带 * 的为必填项。紧急情况请拨打 110、119、120。", "No login needed. Fields marked * are required. In an emergency call 110, 119 or 120."},
	"field.category":         {"诉求类别", "Category"},
	"field.category.choose":  {"请选择", "Choose one"},
	"field.description":      {"诉求内容", "What happened"},
	"field.description.hint": {"请写明时间、地点、经过和您的诉求（最多4000字）。", "Say when, where, what happened and what you ask for (at most 4,000 characters)."},
	"field.address":          {"地址", "Address"},
	"field.address.hint":     {"如：东城区安定门大街1号", "e.g. 1 Andingmen Street, Dongcheng"},
	"field.name":             {"姓名", "Name"},
	"field.phone":            {"手机号码", "Phone number"},
	"field.phone.hint":       {"查询进度和评价时需要。", "You need it to track and rate your complaint."},
	"field.email":            {"电子邮箱", "E-mail"},
	"field.photos":           {"照片", "Photos"},
	"field.photos.hint":      {"最多5张，JPEG/PNG/WebP，每张不超过5MB。照片仅工作人员可见。", "Up to 5, JPEG/PNG/WebP, 5 MB each. Only staff see photos."},
	"field.consent":          {"我已阅读并同意隐私声明：您提供的信息仅用于办理本诉求，电话号码不会公开。", "I have read and agree to the privacy notice: what you give is used only to handle this complaint; your phone number is never published."},
	"optional":               {"选填", "optional"},
	"required":               {"必填", "required"},
	"submit":                 {"提交", "Submit"},
	"done.title":             {"提交成功", "Submitted"},
	"done.number":            {"您的工单编号", "Your ticket number"},
	"done.keep":              {"请记下工单编号。凭工单编号和手机号码可查询办理进度。", "Keep this number. With it and your phone number you can track your complaint."},
	"done.track":             {"查询办理进度", "Track it"},
	"done.copy":              {"复制编号", "Copy the number"},
	"done.copied":            {"工单编号已复制", "Ticket number copied"},
	"done.nophone":           {"您没有留手机号码，无法在网上查询进度；可拨打12345查询。", "You left no phone number, so you cannot track it online; call 12345 instead."},
	"track.title":            {"诉求进度查询", "Track your complaint"},
	"track.intro":            {"请输入工单编号和提交诉求时留的手机号码。", "Enter the ticket number and the phone number you gave."},
	"field.number":           {"工单编号", "Ticket number"},
	"track.submit":           {"查询", "Look up"},
	"track.notfound":         {"未找到与该手机号码对应的工单，请核对后重试。", "No ticket matches that number and phone number. Please check and try again."},
	"track.ratelimited":      {"查询过于频繁，请稍后再试。", "Too many look-ups. Please wait and try again."},
	"track.expired":          {"页面已过期，请重新查询。", "This page has expired. Please look your ticket up again."},
	"view.status":            {"当前状态", "Status"},
	"view.category":          {"诉求类别", "Category"},
	"view.department":        {"承办单位", "Handled by"},
	"view.pending":           {"待派单", "not yet dispatched"},
	"view.registered":        {"受理时间", "Registered"},
	"view.feedback_due":      {"首次联系时限", "Contact you by"},
	"view.resolve_due":       {"办结时限", "Resolve by"},
	"view.timeline":          {"办理过程", "Progress"},
	"view.resolution":        {"办理结果", "Result"},
	"rate.title":             {"请您评价办理结果", "Rate the result"},
	"rate.intro":             {"选择“不满意”将退回重新办理（重办），请写明原因。", "Choosing \"dissatisfied\" sends it back to be handled again; please say why."},
	"rate.comment":           {"意见", "Comment"},
	"rate.submit":            {"提交评价", "Send rating"},
	"rate.thanks":            {"感谢您的评价。", "Thank you for your rating."},
	"rate.reopened":          {"已为您退回重办，承办单位将重新办理。", "It has been sent back to be handled again."},
	"rate.already":           {"本次办理结果已评价过。", "This result has already been rated."},
	"rate.notyet":            {"工单尚未办结，暂不能评价。", "The ticket is not resolved yet, so it cannot be rated."},
	"rate.yours":             {"您的评价", "Your ratings"},
	"form.expired":           {"表单已过期，请核对内容后重新提交。", "The form expired. Please check and submit again."},
	"form.fix":               {"请更正下列标出的内容。", "Please correct the fields marked below."},
	"form.toolarge":          {"上传内容过大：每张照片不超过5MB，最多5张。请重新填写。", "The upload is too large: at most 5 photos of 5 MB each. Please fill in the form again."},
	"form.ratelimited":       {"提交过于频繁，请稍后再试，或拨打12345。", "Too many submissions. Please wait, or call 12345."},
	"form.photos.again":      {"如需附照片，请重新选择。", "If you attached photos, please choose them again."},
	"error.server":           {"系统繁忙，请稍后再试，或拨打12345。", "The system is busy. Please try again later, or call 12345."},
	"error.consent":          {"请阅读并同意隐私声明", "Please agree to the privacy notice"},
	"complain.category.next": {"显示该类别需填写的内容", "Show this category's questions"},
	"complain.questions":     {"该类别需要补充的内容", "About this category"},
	// A bad input, by the problem's code (intake.FieldError); %d and %s are its values.
	"invalid.required":           {"此项为必填项", "This is required"},
	"invalid.unknown_service":    {"请从列表中选择诉求类别", "Choose a category from the list"},
	"invalid.location_required":  {"该类别需要填写地址", "This category needs an address"},
	"invalid.too_long":           {"共%d字，最多%d字", "This is %d characters long; at most %d are allowed"},
	"invalid.utf8":               {"含有无法识别的字符", "This contains characters that cannot be read"},
	"invalid.line_breaks":        {"不能换行", "This may not contain line breaks"},
	"invalid.control_char":       {"含有不可见的控制字符（U+%04X）", "This contains an invisible control character (U+%04X)"},
	"invalid.phone":              {"请填写有效的电话号码", "Enter a valid phone number"},
	"invalid.email":              {"请填写有效的电子邮箱地址", "Enter a valid e-mail address"},
	"invalid.photos_count":       {"最多上传%d张照片", "At most %d photos may be attached"},
	"invalid.photo_size":         {"第%d张照片超过5MB", "Photo %d is larger than 5 MB"},
	"invalid.photo_type":         {"第%d张照片不是 JPEG、PNG 或 WebP 图片", "Photo %d is not a JPEG, PNG or WebP image"},
	"invalid.attribute_required": {"请回答此项", "Please answer this question"},
	"invalid.one_value":          {"只能选择一项", "Choose only one"},
	"invalid.number":             {"请填写数字", "Enter a number"},
	"invalid.datetime":           {"请填写有效的日期和时间", "Enter a valid date and time"},
	"invalid.choice":             {"没有“%s”这一选项", "There is no choice %q"},
	"invalid.unknown_attribute":  {"该类别没有此项", "This category has no such question"},
	"invalid.rating":             {"请选择满意、基本满意或不满意", "Choose satisfied, basically satisfied or dissatisfied"},
	"invalid.comment_needed":     {"请写明仍未解决的问题，以便承办单位重新办理", "Say what is still wrong, so the department can redo it"},

	// Names for screen readers and the headers of the lists' last columns.
	"ticket.actions":        {"办理", "Actions"},
	"table.actions":         {"操作", "Actions"},
	"esc.level_head":        {"级别", "Level"},
	"board.chart":           {"各部门在办与超期工单", "Open and overdue tickets per department"},
	"routing.redispatch_to": {"改派到的部门", "Department to re-dispatch to"},
	"routing.rule_json":     {"规则（JSON）", "The rule as JSON"},
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

// fieldErrorText says a bad input's problem in lang, with the values it was found with; a
// problem the catalogue does not have keeps its English message.
func fieldErrorText(lang string, f intake.FieldError) string {
	format, ok := messages["invalid."+f.Code]
	if !ok || f.Code == "" {
		return f.Msg
	}
	text := format[0]
	if lang == "en" {
		text = format[1]
	}
	if !strings.Contains(text, "%") {
		// The message needs none of the values the English one was made with.
		return text
	}
	return fmt.Sprintf(text, f.Args...)
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
