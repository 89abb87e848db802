package web

// The console's category picker (console_categories.go).
func init() {
	addMessages(map[string][2]string{
		"console.category_find":      {"查找类别", "Find a category"},
		"console.category_find_hint": {"关键词或拼音首字母，如 zy", "Words or pinyin initials, e.g. zy"},
		"console.recent_categories":  {"最近使用", "Recently used"},
		"console.all_categories":     {"全部类别", "All categories"},
	})
}
