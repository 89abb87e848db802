package web

func init() {
	addMessages(map[string][2]string{
		"stats.as_of": {"数据截至 %s", "Figures as of %s"},
	})
}
