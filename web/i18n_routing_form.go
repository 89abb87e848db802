package web

// The dispatch rule form's pickers (routing_form.go).
func init() {
	addMessages(map[string][2]string{
		"routing.form_hint":        {"未选择的条件不作限制；同一条件内的多个选项满足其一即可，不同条件须同时满足。按住 Ctrl（Mac 上为 ⌘）可多选。", "A condition left empty does not limit; within a condition any choice matches, and every condition must match. Hold Ctrl (⌘ on a Mac) to choose several."},
		"routing.unknown_code":     {"已不存在", "no longer exists"},
		"routing.profile_category": {"按类别的时限", "The category's profile"},
		"routing.new_rule_json":    {"以 JSON 新建", "Create from JSON"},
		"routing.day.workday":      {"工作日", "Working day"},
		"routing.day.weekend":      {"休息日", "Weekend"},
		"routing.day.holiday":      {"法定节假日", "Public holiday"},
	})
}
