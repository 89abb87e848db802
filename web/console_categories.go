package web

import (
	"context"
	"strings"
	"sync"

	"github.com/mozillazg/go-pinyin"

	"github.com/hotline-city/hotline/internal/org"
)

// The console's category picker: every category carries the words it is found by — its names,
// its code and its name's pinyin, whole (zaoyin) and as initials (zy), which is how agents type
// fast — and the agent's most recent categories come first.

// catChoice is a category as the picker offers it.
type catChoice struct {
	Cat   *org.Category
	Keys  string
	Child bool
}

// recentCategories is how many of the agent's recent categories the picker puts first.
const recentCategories = 5

// categoryKeys are the words category c is found by, lower case, separated by spaces. The
// console is opened for every call: the pinyin of a name is worked out once and kept.
func categoryKeys(c *org.Category) string {
	key := c.Code + "\x00" + c.NameZh + "\x00" + c.NameEn
	if k, ok := keysByName.Load(key); ok {
		return k.(string)
	}
	k := pinyinKeys(c)
	keysByName.Store(key, k)
	return k
}

// keysByName holds categoryKeys' answers by code and names.
var keysByName sync.Map

func pinyinKeys(c *org.Category) string {
	a := pinyin.NewArgs()
	syl := pinyin.LazyPinyin(c.NameZh, a)
	var initials strings.Builder
	for _, s := range syl {
		if s != "" {
			initials.WriteByte(s[0])
		}
	}
	return strings.ToLower(strings.Join([]string{c.NameZh, c.NameEn, c.Code, strings.Join(syl, ""), initials.String()}, " "))
}

// categoryChoices are the picker's choices: the agent's recent ones, then the tree.
func (s *Server) categoryChoices(ctx context.Context, st *org.Staff, cats []org.Category) (recent, all []catChoice, err error) {
	byCode := map[string]catChoice{}
	for i := range cats {
		c := &cats[i]
		if !c.Active {
			continue
		}
		ch := catChoice{Cat: c, Keys: categoryKeys(c), Child: c.ParentID != nil}
		all = append(all, ch)
		byCode[c.Code] = ch
	}
	var codes []string
	err = s.db.NewRaw(`SELECT code FROM (
			SELECT c.code, max(t.id) AS last FROM (SELECT id, category_id FROM tickets WHERE registered_by = ? ORDER BY id DESC LIMIT 200) t
			JOIN categories c ON c.id = t.category_id GROUP BY c.code) r
		ORDER BY last DESC LIMIT ?`, st.ID, recentCategories).Scan(ctx, &codes)
	if err != nil {
		return nil, nil, err
	}
	for _, code := range codes {
		if ch, ok := byCode[code]; ok {
			ch.Child = false
			recent = append(recent, ch)
		}
	}
	return recent, all, nil
}
