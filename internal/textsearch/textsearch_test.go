package textsearch_test

import (
	"context"
	"errors"
	"html"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/hotline-city/hotline/internal/testdb"
	"github.com/hotline-city/hotline/internal/textsearch"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ q, want string }{
		{"噪音", "('噪音')"},
		{"欠薪 工资", "('欠薪') & ('工资')"},
		{"社保卡", "('社保' & '保卡')"},
		{"税", "'税'"},
		{"ETC 办理", "'etc' & ('办理')"},
		{"12345热线！", "'12345' & ('热线')"},
		{"it's", "'it' & 's'"},
	} {
		got, err := textsearch.Parse(c.q)
		if err != nil || got.TSQuery != c.want {
			t.Errorf("Parse(%q) = %q, %v; want %q", c.q, got.TSQuery, err, c.want)
		}
	}
	for q, want := range map[string]error{
		"":                      textsearch.ErrEmpty,
		"  ！？ ":                 textsearch.ErrEmpty,
		strings.Repeat("社", 65): textsearch.ErrTooLong,
		strings.Repeat("a ", 9): textsearch.ErrTooLong,
	} {
		if _, err := textsearch.Parse(q); !errors.Is(err, want) {
			t.Errorf("Parse(%q): %v, want %v", q, err, want)
		}
	}
}

func TestHighlightEscapes(t *testing.T) {
	t.Parallel()
	q, _ := textsearch.Parse("噪音 script")
	got := string(textsearch.Highlight(`<script>夜间噪音</script> & 噪音`, q))
	want := `&lt;<mark>script</mark>&gt;夜间<mark>噪音</mark>&lt;/<mark>script</mark>&gt; &amp; <mark>噪音</mark>`
	if got != want {
		t.Fatalf("Highlight:\n got %s\nwant %s", got, want)
	}
	long := strings.Repeat("甲", 100) + "欠薪" + strings.Repeat("乙", 100)
	q, _ = textsearch.Parse("欠薪")
	s := string(textsearch.Snippet(long, q, 40))
	if !strings.HasPrefix(s, "…") || !strings.HasSuffix(s, "…") || !strings.Contains(s, "<mark>欠薪</mark>") {
		t.Fatalf("Snippet: %s", s)
	}
}

// TestSQLMatchesGo checks that the database's search_ngrams indexes what Tokens says and that
// Parse's queries find two-character words, single characters and phrases, and nothing across
// punctuation.
func TestSQLMatchesGo(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testdb.New(t)
	for _, doc := range []string{
		"夜间施工噪音扰民，已持续三天。",
		"公司拖欠工资（欠薪）三个月 ETC卡 12345",
		"Road 路灯 Broken!",
		"",
	} {
		var lexemes []string
		rows, err := db.QueryContext(ctx, "SELECT unnest(tsvector_to_array(search_ngrams(?)))", doc)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				t.Fatal(err)
			}
			lexemes = append(lexemes, l)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := slices.Compact(slices.Sorted(slices.Values(textsearch.Tokens(doc))))
		slices.Sort(lexemes)
		if !slices.Equal(lexemes, want) {
			t.Errorf("search_ngrams(%q) = %v, Tokens = %v", doc, lexemes, want)
		}
	}
	doc := "夜间施工噪音扰民，音乐声也大。公司拖欠工资 ETC卡 资金"
	for q, want := range map[string]bool{
		"噪音":    true,
		"噪音扰民":  true,
		"施工 扰民": true,
		"音":     true,
		"民音":    false, // across the comma
		"扰民音乐":  false,
		"欠工资金":  false, // its bigrams all there, but not in a row
		"夜间施工":  true,
		"工资 欠薪": false,
		"etc":   true,
		"et":    false, // a Latin word matches whole
		"卡ETC":  true,
	} {
		pq, err := textsearch.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		var got bool
		cond, args := pq.Condition("search_ngrams(d.doc)", "d.doc")
		if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT FROM (SELECT ?::text AS doc) d WHERE "+cond+")", append([]any{doc}, args...)...).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%q matches: %v, want %v", q, got, want)
		}
	}
}

// FuzzParseHighlight: any search and text parse or fail cleanly, the tsquery quotes every
// lexeme, and highlighting escapes everything but its own marks, losing nothing.
func FuzzParseHighlight(f *testing.F) {
	for _, s := range [][2]string{{"噪音", "夜间噪音<b>扰民</b>"}, {"it's 'a'", "it's & <a>"}, {"税 社保卡", "社保卡补办、个税"}, {"\x00\xff", "\xffA"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, q, text string) {
		pq, err := textsearch.Parse(q)
		if err != nil {
			if !errors.Is(err, textsearch.ErrEmpty) && !errors.Is(err, textsearch.ErrTooLong) {
				t.Fatalf("Parse(%q): %v", q, err)
			}
			return
		}
		if strings.Count(pq.TSQuery, "'")%2 != 0 {
			t.Fatalf("unbalanced quotes in %q", pq.TSQuery)
		}
		out := string(textsearch.Highlight(text, pq))
		plain := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(out)
		if strings.ContainsAny(plain, "<>\"") {
			t.Fatalf("Highlight(%q) left markup: %q", text, out)
		}
		if html.UnescapeString(plain) != text && utf8.ValidString(text) {
			t.Fatalf("Highlight(%q) lost text: %q", text, out)
		}
		snip := strings.NewReplacer("<mark>", "", "</mark>", "").Replace(string(textsearch.Snippet(text, pq, 10)))
		if strings.ContainsAny(snip, "<>\"") {
			t.Fatalf("Snippet(%q) left markup: %q", text, snip)
		}
	})
}
