package web

// The messages of paged lists and streamed exports.
func init() {
	addMessages(map[string][2]string{
		"page.next":         {"下一页", "Next page"},
		"page.first":        {"回到第一页", "Back to the first page"},
		"page.total":        {"共 %d 条", "%d in all"},
		"page.total_more":   {"超过 %d 条", "More than %d"},
		"page.shown":        {"本页 %d 条，按最近时限排序", "%d on this page, nearest deadline first"},
		"page.shown_new":    {"本页 %d 条，最新的在前", "%d on this page, newest first"},
		"page.nav":          {"翻页", "Pages"},
		"export.limit":      {"导出最多 %d 条。本清单有 %d 条，超过上限：请缩小范围（例如按部门或状态）后再导出。", "An export holds at most %d rows. This list has %d, more than that: narrow it (by department or status, say) and export again."},
		"export.rows":       {"将导出 %d 条（上限 %d 条），时间为北京时间。", "%d rows will be exported (at most %d), times in Beijing time."},
		"export.progress":   {"正在导出……已写 %d 条", "Exporting… %d rows written"},
		"export.done":       {"导出完成：%d 条", "Export finished: %d rows"},
		"export.timezone":   {"时间为北京时间（UTC+8）", "Times are Beijing time (UTC+8)"},
		"export.count_fail": {"暂时无法统计条数，请稍后重试", "The rows cannot be counted just now; try again shortly"},
	})
}
