package web

// The post-call ratings' words (来电评价, call_ratings.go): the report of agents and the centre.
func init() {
	addMessages(map[string][2]string{
		"ratings.title":             {"来电评价统计", "Call ratings"},
		"ratings.own_title":         {"我的来电评价", "My call ratings"},
		"ratings.link":              {"来电评价统计", "Ratings of the calls"},
		"ratings.back":              {"返回通话记录", "Back to the calls"},
		"ratings.field.month":       {"月份", "Month"},
		"ratings.field.from":        {"起始日期", "From"},
		"ratings.field.to":          {"截止日期", "To"},
		"ratings.or":                {"或", "or"},
		"ratings.show":              {"查看", "Show"},
		"ratings.window":            {"统计区间", "Counted"},
		"ratings.agent":             {"坐席", "Agent"},
		"ratings.answered":          {"接听量", "Answered"},
		"ratings.rated":             {"参评量", "Rated"},
		"ratings.rating_rate":       {"参评率", "Rating rate"},
		"ratings.satisfaction_rate": {"满意率", "Satisfaction rate"},
		"ratings.centre":            {"全中心", "Whole centre"},
		"ratings.none":              {"本期没有接听的来电。", "No call was answered in this period."},
		"ratings.formula": {"市民在坐席挂机后按键评价：1 满意、2 基本满意、3 不满意。参评率 = 参评量 ÷ 接听量；满意率 = (满意 + %g × 基本满意) ÷ 参评量，系数取自现行考评方案。来电按开始时间计入统计区间。",
			"After the agent hangs up the caller rates the call by keypad: 1 satisfied, 2 basically satisfied, 3 dissatisfied. Rating rate = rated ÷ answered; satisfaction rate = (satisfied + %g × basically satisfied) ÷ rated, the weight being the evaluation profile's in force. A call counts in the period it started in."},
		"ratings.month_format":  {"须为月份，如 2026-11", "must be a month like 2026-11"},
		"ratings.month_or_days": {"请填写月份，或起止日期，不可同时填写", "give a month or from and to, not both"},
		"ratings.to_before":     {"不能早于起始日期", "must not be before from"},
		"ratings.to_year":       {"不能晚于起始日期一年以上", "at most a year after from"},
	})
	for msg, key := range map[string]string{
		"must be a month like 2026-11":          "ratings.month_format",
		"give a month or from and to, not both": "ratings.month_or_days",
		"must not be before from":               "ratings.to_before",
		"at most a year after from":             "ratings.to_year",
	} {
		fieldMsgKeys[msg] = key
	}
}
