package web

// The messages of paged lists and streamed exports.
func init() {
	addMessages(map[string][2]string{
		"page.next":        {"下一页", "Next page"},
		"page.first":       {"回到第一页", "Back to the first page"},
		"page.total":       {"共 %d 条", "%d in all"},
		"page.total_more":  {"超过 %d 条", "More than %d"},
		"page.shown":       {"本页 %d 条，按最近时限排序", "%d on this page, nearest deadline first"},
		"page.shown_new":   {"本页 %d 条，最新的在前", "%d on this page, newest first"},
		"page.nav":         {"翻页", "Pages"},
		"export.limit":     {"一次导出最多 %d 条，本清单超过上限：请缩小范围（例如按部门或状态）后再导出。", "An export holds at most %d rows and this list has more: narrow it (by department or status, say) and export again."},
		"export.rows":      {"将导出 %d 条（上限 %d 条）。", "%d rows will be exported (at most %d)."},
		"export.zone":      {"时间均为%s。", "Times are in %s."},
		"export.beijing":   {"北京时间", "Beijing time"},
		"export.streaming": {"文件边读边写：浏览器的下载栏显示进度，行数多时需要几秒钟。", "The file is written as its rows are read: your browser's downloads show the progress; a long list takes a few seconds."},
		"export.title":     {"导出清单", "Export a list"},
		"export.back":      {"返回监控大屏", "Back to the board"},
	})
}
