package web

import (
	"regexp"
	"slices"
	"strings"
)

// routingPairs are the doubled labels ("中文 English") routing writes into its explanations,
// decisions and timeline notes. routingText keeps the reader's half of each, so a routing page
// or a ticket's routing note reads in one language while the values (rule names, keywords,
// codes) stay as they are.
var routingPairs = [][2]string{
	{"未命中任何规则，进入中心派单队列", "no rule matched: centre dispatch queue"},
	{"留中心派单队列", "left in the centre's dispatch queue"},
	{"规则派单失败，转人工", "the rule could not dispatch"},
	{"人工派单", "hold for manual dispatch by the centre"},
	{"规则已停用", "rule disabled"},
	{"无条件", "no conditions"},
	{"兜底规则", "catch-all rule"},
	{"工单无坐标", "ticket has no point"},
	{"不在任何区域内", "outside every area"},
	{"工单无时间", "ticket has no time"},
	{"同一来电号码", "same phone"},
	{"同一地址同一分类", "same address and category"},
	{"文本相似度", "text similarity"},
	{"重复来电", "repeat caller"},
	{"日期类型", "day type"},
	{"紧急词", "urgent word"},
	{"关键词", "keyword"},
	{"区字段", "district field"},
	{"街道字段", "street field"},
	{"街道", "street"},
	{"区域", "area"},
	{"区", "district"},
	{"时段", "time window"},
	{"正则", "regexp"},
	{"分类", "category"},
	{"类型", "type"},
	{"渠道", "channel"},
	{"规则", "rule"},
	{"建议", "suggested"},
	{"下级", "subtree"},
	{"不属于", "not under"},
	{"不在", "not in"},
	{"不在", "outside"},
	{"无命中", "none of"},
	{"不含", "lacks"},
	{"包含", "contains"},
	{"在", "within"},
	{"地址", "address"},
	{"空", "blank"},
	{"无分类", "none"},
}

// routingCounts are routing's doubled sentences with a number in them.
var routingCounts = []struct {
	re     *regexp.Regexp
	zh, en string
}{
	{regexp.MustCompile(`30天内至少 (\d+) 次 at least (\d+) calls in 30 days`), "30天内至少 $1 次", "at least $1 calls in 30 days"},
	{regexp.MustCompile(`30天内 (\d+) 次 calls in 30 days`), "30天内 $1 次", "$1 calls in 30 days"},
	{regexp.MustCompile(`紧急诉求（(.*?)）：请提醒来电人注意安全，立即一键转接(\S+) urgent \((.*?)\): keep the caller safe and transfer the call to (\S+) now`),
		"紧急诉求（$1）：请提醒来电人注意安全，立即一键转接$2", "urgent ($3): keep the caller safe and transfer the call to $4 now"},
	{regexp.MustCompile(`紧急诉求（(.*?)）：请优先派单 urgent \((.*?)\): dispatch first`), "紧急诉求（$1）：请优先派单", "urgent ($2): dispatch first"},
}

// routingPairRe matches any pair of routingPairs as routing writes it: the Chinese, one space,
// the English, longest first.
var routingPairRe = func() *regexp.Regexp {
	var alts []string
	for _, p := range routingPairs {
		alts = append(alts, regexp.QuoteMeta(p[0]+" "+p[1]))
	}
	// Go's alternation takes the first that matches, so the longer pairs go first.
	slices.SortStableFunc(alts, func(a, b string) int { return len(b) - len(a) })
	return regexp.MustCompile(strings.Join(alts, "|"))
}()

// routingText is s, a text of routing's, with each doubled label in lang only.
func routingText(lang, s string) string {
	for _, c := range routingCounts {
		if lang == "en" {
			s = c.re.ReplaceAllString(s, c.en)
		} else {
			s = c.re.ReplaceAllString(s, c.zh)
		}
	}
	return routingPairRe.ReplaceAllStringFunc(s, func(m string) string {
		for _, p := range routingPairs {
			if m == p[0]+" "+p[1] {
				if lang == "en" {
					return p[1]
				}
				return p[0]
			}
		}
		return m
	})
}
