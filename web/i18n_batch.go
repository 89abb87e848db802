package web

// Batch actions (batch.go).
func init() {
	addMessages(map[string][2]string{
		"batch.accept":     {"批量签收", "Accept the chosen"},
		"batch.hint":       {"勾选下方工单后批量签收；每张工单各自记录。", "Tick tickets below to accept them at once; each is recorded on its own."},
		"batch.choose":     {"选择", "Choose"},
		"batch.summary":    {"已完成 %d 张，未完成 %d 张。", "%d done, %d not done."},
		"batch.bad_number": {"不是工单编号", "not a ticket number"},
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
