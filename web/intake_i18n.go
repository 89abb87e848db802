package web

import (
	"encoding/json"

	"github.com/hotline-city/hotline/tickets"
)

// intakeText are the public pages' words: Chinese first, English second.
var intakeText = map[string][2]string{
	"site":                   {"12345 政务服务便民热线", "12345 Government Service Hotline"},
	"lang.switch":            {"English", "中文"},
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
	"error.title":            {"出错了", "Something went wrong"},
	"error.server":           {"系统繁忙，请稍后再试，或拨打12345。", "The system is busy. Please try again later, or call 12345."},
	"error.consent":          {"请阅读并同意隐私声明", "Please agree to the privacy notice"},
}

func intakeT(lang, key string) string {
	v, ok := intakeText[key]
	if !ok {
		return key
	}
	if lang == "en" {
		return v[1]
	}
	return v[0]
}

func intakeStatus(lang string, st tickets.Status) string {
	if lang == "en" {
		switch st {
		case tickets.StatusRegistered:
			return "registered"
		case tickets.StatusDispatched:
			return "dispatched"
		case tickets.StatusAccepted:
			return "accepted by the department"
		case tickets.StatusReturned:
			return "under review"
		case tickets.StatusResolved:
			return "resolved"
		case tickets.StatusClosed:
			return "closed"
		}
		return string(st)
	}
	if st == tickets.StatusReturned {
		// A return (退单) is the centre's internal review; the citizen sees it is being re-routed.
		return "重新派单中"
	}
	return tickets.StatusZh(st)
}

// intakeEventText is a public timeline entry as the citizen reads it.
func intakeEventText(lang string, ev tickets.Event) string {
	zh := lang != "en"
	pick := func(z, e string) string {
		if zh {
			return z
		}
		return e
	}
	var head string
	switch tickets.Action(ev.Kind) {
	case tickets.ActRegister:
		head = pick("已受理", "Registered")
	case tickets.ActDispatch:
		var d struct {
			Name string `json:"department_name"`
		}
		json.Unmarshal(ev.Data, &d)
		head = pick("已派单", "Dispatched")
		if d.Name != "" {
			head += pick("至"+d.Name, " to "+d.Name)
		}
	case tickets.ActAccept:
		head = pick("承办单位已签收", "Accepted by the department")
	case tickets.ActFeedback:
		head = pick("承办单位已联系您", "The department contacted you")
	case tickets.ActResolve:
		head = pick("已办结", "Resolved")
	case tickets.ActClose:
		head = pick("已结案", "Closed")
	case tickets.ActReopen:
		head = pick("重办", "Reopened")
	case tickets.ActAnswer:
		head = pick("已答复", "Answered")
	case "rated":
		head = pick("市民评价", "Your rating")
	default:
		head = intakeStatus(lang, tickets.Status(ev.ToStatus))
	}
	if ev.Body != "" {
		return head + pick("：", ": ") + ev.Body
	}
	return head
}
