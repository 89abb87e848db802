package web

import (
	"net/url"
	"strings"
	"testing"

	"github.com/hotline-city/hotline/internal/org"
)

// A category is found by its names, its code and its name's pinyin, whole or as initials.
func TestCategoryKeysHoldPinyin(t *testing.T) {
	keys := categoryKeys(&org.Category{Code: "wage-arrears", NameZh: "拖欠工资", NameEn: "Wage arrears"})
	for _, want := range []string{"拖欠工资", "wage arrears", "wage-arrears", "tuoqiangongzi", "tqgz"} {
		if !strings.Contains(keys, want) {
			t.Errorf("keys %q lack %q", keys, want)
		}
	}
}

// The console's picker puts the agent's own recent categories first, newest first, each
// option carrying the words it is found by.
func TestConsoleRecentCategoriesFirst(t *testing.T) {
	t.Parallel()
	e := newStaffEnv(t)
	agent := e.browser("agent1")
	for _, cat := range []string{"noise", "food-safety", "wage-arrears"} {
		r := e.do(agent, "POST", "/console/tickets", url.Values{"category": {cat}, "description": {"来电反映的问题 " + cat},
			"caller_phone": {"13800000000"}}, nil)
		if r.Status != 303 {
			t.Fatalf("register %s: %d %s", cat, r.Status, between(r.Body, `role="alert"`, "</p>"))
		}
	}
	page := e.do(agent, "GET", "/console", nil, nil).Body
	recent := between(page, `id="recent-categories">`, "</optgroup>")
	iw, inoise, ifood := strings.Index(recent, `value="wage-arrears"`), strings.Index(recent, `value="noise"`), strings.Index(recent, `value="food-safety"`)
	if iw < 0 || ifood < 0 || inoise < 0 || !(iw < ifood && ifood < inoise) {
		t.Fatalf("recent categories, newest first: %s", recent)
	}
	if !strings.Contains(page, `data-keys="噪声扰民 noise nuisance noise zaoshengraomin zsrm"`) {
		t.Errorf("the noise option's keys: %s", between(page, `<option value="noise" data-keys="`, `"`))
	}
	// Another agent's picker has none of these first.
	if p := e.do(e.browser("agent2"), "GET", "/console", nil, nil).Body; strings.Contains(p, `id="recent-categories"`) {
		t.Error("agent2 sees agent1's recent categories")
	}
}
