// Package textsearch is the hotline's Chinese-aware full-text search. Chinese is written
// without spaces, so words cannot be told apart without a dictionary; instead a text is
// indexed by its characters and each pair of neighbouring characters (unigrams and bigrams),
// and a query word of two or more characters must appear as its bigrams in a row. Runs of
// Latin letters and digits are words of their own.
//
// The database side is the SQL function search_ngrams(text) RETURNS tsvector (migration
// 20261203160000), immutable, so a table keeps a generated tsvector column of it with a GIN
// index; Query builds the matching tsquery here. Tokens mirrors search_ngrams in Go, and
// Highlight marks the query's words in a text, escaped for HTML.
package textsearch

import (
	"errors"
	"fmt"
	"html"
	"html/template"
	"strings"
	"unicode/utf8"
)

// Limits of a query.
const (
	MaxQueryRunes = 64 // characters of the whole query
	MaxWords      = 8  // words (separated by spaces)
	maxLatinRunes = 100
)

// Errors of a query; both are bad input.
var (
	ErrEmpty   = errors.New("the search has no words to look for")
	ErrTooLong = fmt.Errorf("the search is longer than %d characters or %d words", MaxQueryRunes, MaxWords)
)

// isHan reports whether r is a Chinese character of the ranges search_ngrams indexes: CJK
// unified ideographs, extension A and the compatibility ideographs.
func isHan(r rune) bool {
	return (r >= 0x4e00 && r <= 0x9fff) || (r >= 0x3400 && r <= 0x4dbf) || (r >= 0xf900 && r <= 0xfaff)
}

func isLatin(r rune) bool { return (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') }

// lowerASCII lower-cases ASCII letters only, as PostgreSQL's lower() does under the C locale,
// byte by byte: offsets stay those of s even where s is not valid UTF-8.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// run is a stretch of Chinese characters or of Latin letters and digits.
type run struct {
	text string
	han  bool
}

// runs splits s into the runs search_ngrams indexes; everything else separates them.
func runs(s string) []run {
	var out []run
	var b strings.Builder
	han := false
	flush := func() {
		if b.Len() > 0 {
			out = append(out, run{b.String(), han})
			b.Reset()
		}
	}
	for _, r := range lowerASCII(s) {
		switch {
		case isHan(r):
			if !han {
				flush()
			}
			han = true
			b.WriteRune(r)
		case isLatin(r):
			if han {
				flush()
			}
			han = false
			b.WriteRune(r)
		default:
			flush()
		}
	}
	flush()
	return out
}

// Tokens are the lexemes search_ngrams indexes for s: each Chinese character and each pair of
// neighbouring ones, and each Latin word (its first 100 characters).
func Tokens(s string) []string {
	var out []string
	for _, r := range runs(s) {
		if !r.han {
			out = append(out, truncate(r.text, maxLatinRunes))
			continue
		}
		cs := []rune(r.text)
		for i := range cs {
			out = append(out, string(cs[i]))
			if i+1 < len(cs) {
				out = append(out, string(cs[i:i+2]))
			}
		}
	}
	return out
}

func truncate(s string, n int) string {
	cs := []rune(s)
	if len(cs) > n {
		return string(cs[:n])
	}
	return s
}

// Query is a parsed search: the tsquery to match against a search_ngrams vector, the Chinese
// words of three or more characters that must also be found as written, and the words to
// highlight.
//
// The tsquery asks for a word's bigrams with AND, not as a phrase: a GIN index answers AND
// exactly, while a phrase makes PostgreSQL re-read every candidate's vector (a large, TOASTed
// value) to check positions. The few candidates that hold the bigrams apart are dropped by
// Exact, a substring test on the text itself.
type Query struct {
	TSQuery string   // in tsquery syntax, for a parameter cast ?::tsquery
	Exact   []string // Chinese runs of three or more characters, to find with strpos
	Words   []string // the searchable runs of the query, lower-cased
}

// Condition is the SQL condition matching q on a table with a search_ngrams vector column and
// its text expression (the columns the vector was made of, joined by spaces), and its
// arguments: the index finds the candidates, strpos keeps the exact ones.
func (q Query) Condition(vector, text string) (string, []any) {
	cond := vector + " @@ ?::tsquery"
	args := []any{q.TSQuery}
	for _, w := range q.Exact {
		cond += " AND strpos(" + text + ", ?) > 0"
		args = append(args, w)
	}
	return cond, args
}

// Parse reads a search as a person types it: words separated by spaces, each of which must
// be found. A Chinese word of one character matches that character; of two or more, the
// characters in that order; a Latin word or number, that word.
func Parse(q string) (Query, error) {
	q = strings.TrimSpace(q)
	if utf8.RuneCountInString(q) > MaxQueryRunes || len(strings.Fields(q)) > MaxWords {
		return Query{}, ErrTooLong
	}
	var terms, words, exact []string
	for _, r := range runs(q) {
		words = append(words, r.text)
		if !r.han {
			terms = append(terms, quote(truncate(r.text, maxLatinRunes)))
			continue
		}
		cs := []rune(r.text)
		if len(cs) == 1 {
			terms = append(terms, quote(r.text))
			continue
		}
		grams := make([]string, 0, len(cs)-1)
		for i := 0; i+1 < len(cs); i++ {
			grams = append(grams, quote(string(cs[i:i+2])))
		}
		terms = append(terms, "("+strings.Join(grams, " & ")+")")
		if len(cs) > 2 {
			exact = append(exact, r.text)
		}
	}
	if len(terms) == 0 {
		return Query{}, ErrEmpty
	}
	return Query{TSQuery: strings.Join(terms, " & "), Exact: exact, Words: words}, nil
}

// quote writes a lexeme in tsquery syntax; runs hold only letters and digits, but quoting
// keeps it so whatever they hold.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// span is a half-open range of byte offsets.
type span struct{ from, to int }

// matches finds where the words occur in s (ASCII case ignored), earliest first, overlaps
// merged.
func matches(s string, words []string) []span {
	low := lowerASCII(s) // same byte offsets: only ASCII letters change
	var spans []span
	for _, w := range words {
		if w == "" {
			continue
		}
		for i := 0; ; {
			j := strings.Index(low[i:], w)
			if j < 0 {
				break
			}
			spans = append(spans, span{i + j, i + j + len(w)})
			i += j + len(w)
		}
	}
	if len(spans) == 0 {
		return nil
	}
	// Sort by start (few spans: insertion sort) and merge overlaps.
	for i := 1; i < len(spans); i++ {
		for j := i; j > 0 && spans[j].from < spans[j-1].from; j-- {
			spans[j], spans[j-1] = spans[j-1], spans[j]
		}
	}
	out := spans[:1]
	for _, sp := range spans[1:] {
		last := &out[len(out)-1]
		if sp.from <= last.to {
			last.to = max(last.to, sp.to)
			continue
		}
		out = append(out, sp)
	}
	return out
}

// Highlight returns s as HTML with each occurrence of q's words inside <mark>; everything
// else is escaped.
func Highlight(s string, q Query) template.HTML {
	return mark(s, matches(s, q.Words))
}

func mark(s string, spans []span) template.HTML {
	var b strings.Builder
	at := 0
	for _, sp := range spans {
		b.WriteString(html.EscapeString(s[at:sp.from]))
		b.WriteString("<mark>")
		b.WriteString(html.EscapeString(s[sp.from:sp.to]))
		b.WriteString("</mark>")
		at = sp.to
	}
	b.WriteString(html.EscapeString(s[at:]))
	return template.HTML(b.String()) // #nosec G203 -- every piece of s is escaped above
}

// Snippet is Highlight on an excerpt of s of about n characters around the first match (or
// its start), with an ellipsis where it was cut.
func Snippet(s string, q Query, n int) template.HTML {
	if utf8.RuneCountInString(s) <= n {
		return Highlight(s, q)
	}
	spans := matches(s, q.Words)
	start := 0
	if len(spans) > 0 {
		// Start a quarter of the excerpt before the first match, at a character boundary.
		start = spans[0].from
		for k := 0; k < n/4 && start > 0; k++ {
			_, size := utf8.DecodeLastRuneInString(s[:start])
			start -= size
		}
	}
	end := start
	for k := 0; k < n && end < len(s); k++ {
		_, size := utf8.DecodeRuneInString(s[end:])
		end += size
	}
	var within []span
	for _, sp := range spans {
		if sp.from >= start && sp.to <= end {
			within = append(within, span{sp.from - start, sp.to - start})
		}
	}
	out := mark(s[start:end], within)
	if start > 0 {
		out = "…" + out
	}
	if end < len(s) {
		out += "…"
	}
	return out
}
