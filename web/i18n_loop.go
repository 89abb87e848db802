package web

// Messages of the closed loop (闭环): rectifications, the SMS rating link, the unrated rule.
func init() {
	addMessages(map[string][2]string{
		"nav.rectifications":       {"差评整改", "Rectifications"},
		"rectify.hint":             {"实名市民“不满意”的工单须在期限内整改并提交佐证，由中心审核通过后完成；逾期未完成的自动督办。", "A named citizen's 'dissatisfied' must be put right by its deadline, with proof the centre accepts; overdue ones are escalated."},
		"rectify.done":             {"已保存。", "Saved."},
		"rectify.all":              {"全部整改", "All rectifications"},
		"rectify.only_overdue":     {"只看逾期", "Overdue only"},
		"rectify.reason":           {"差评原因", "Bad rating"},
		"rectify.due":              {"整改期限", "Due"},
		"rectify.status":           {"状态", "Status"},
		"rectify.proof":            {"整改佐证", "Proof"},
		"rectify.file":             {"附件", "File"},
		"rectify.note":             {"审核意见", "Note"},
		"rectify.submit":           {"提交佐证", "Submit proof"},
		"rectify.accept":           {"审核通过", "Accept"},
		"rectify.refuse":           {"退回", "Send back"},
		"rectify.overdue":          {"已逾期", "Overdue"},
		"rectify.none":             {"没有整改事项。", "No rectifications."},
		"rectify.status.open":      {"待整改", "To rectify"},
		"rectify.status.submitted": {"待审核", "To review"},
		"rectify.status.accepted":  {"已完成", "Done"},
		"stats.unrated.not_rated":  {"未作答的市民不计入满意度等三率。", "Citizens who never answered the return visit are not counted in the three rates."},
		"stats.unrated.satisfied":  {"办结后 %d 天内未作答的市民按满意计入三率（默认满意）。", "Citizens who did not answer within %d days of the resolution count as satisfied in the three rates."},
	})
}
