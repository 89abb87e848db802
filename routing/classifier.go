package routing

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Example is one labelled ticket for training a Classifier: the citizen's
// text and the department that handled it.
type Example struct {
	Text       string `json:"text"`
	Department string `json:"department"`
}

// Suggestion is one department the classifier proposes for a text.
type Suggestion struct {
	Department string `json:"department"`
	// Confidence is the normalised posterior probability, 0..1; the
	// confidences over all departments add up to 1. Naive Bayes is
	// over-confident (it treats overlapping bigrams as independent), so
	// Confidence ranks well but is often close to 0 or 1.
	Confidence float64 `json:"confidence"`
	// Why lists the character bigrams (or Latin words) of the text that
	// speak most for this department.
	Why []string `json:"why,omitempty"`
}

// Classifier is a multinomial naive Bayes classifier over Chinese character
// bigrams and unigrams with additive (Laplace) smoothing. It suggests the
// department for a ticket that no rule dispatched. A Classifier is immutable
// after Train or UnmarshalJSON and safe for concurrent use; MarshalJSON
// stores it, e.g. after a nightly retrain.
type Classifier struct {
	opts    classifierOptions
	classes []string
	docs    []int
	vocab   map[string]int32
	tokens  []string
	counts  []int32 // token*len(classes) + class
	totals  []int64 // token occurrences per class

	logPrior []float64
	logLik   []float64 // token*len(classes) + class
	meanLik  []float64 // per token: mean of logLik over the classes
}

// classifierOptions are the model's hyper-parameters. They were chosen by
// cross-validation on the training part of the corpus only.
type classifierOptions struct {
	Alpha    float64 `json:"alpha"`    // additive smoothing
	Unigrams bool    `json:"unigrams"` // count single Han characters too
	Binary   bool    `json:"binary"`   // count a token once per document
}

var defaultClassifierOptions = classifierOptions{Alpha: 0.1, Unigrams: true, Binary: false}

// Train builds a classifier from labelled examples. Examples without a
// department are skipped.
func Train(examples []Example) *Classifier {
	return train(examples, defaultClassifierOptions)
}

func train(examples []Example, opts classifierOptions) *Classifier {
	c := &Classifier{opts: opts, vocab: map[string]int32{}}
	classIdx := map[string]int{}
	for _, ex := range examples {
		if ex.Department != "" {
			classIdx[ex.Department] = 0
		}
	}
	for d := range classIdx {
		c.classes = append(c.classes, d)
	}
	slices.Sort(c.classes)
	for i, d := range c.classes {
		classIdx[d] = i
	}
	c.docs = make([]int, len(c.classes))
	type tc struct {
		tok   string
		class int
	}
	raw := map[tc]int32{}
	for _, ex := range examples {
		if ex.Department == "" {
			continue
		}
		k := classIdx[ex.Department]
		c.docs[k]++
		seen := map[string]bool{}
		tokenize(ex.Text, opts.Unigrams, func(tok string) {
			if opts.Binary {
				if seen[tok] {
					return
				}
				seen[tok] = true
			}
			raw[tc{strings.Clone(tok), k}]++
			if _, ok := c.vocab[tok]; !ok {
				c.vocab[strings.Clone(tok)] = 0
			}
		})
	}
	c.tokens = make([]string, 0, len(c.vocab))
	for t := range c.vocab {
		c.tokens = append(c.tokens, t)
	}
	slices.Sort(c.tokens)
	for i, t := range c.tokens {
		c.vocab[t] = int32(i)
	}
	c.counts = make([]int32, len(c.tokens)*len(c.classes))
	for k, n := range raw {
		c.counts[int(c.vocab[k.tok])*len(c.classes)+k.class] = n
	}
	c.finish()
	return c
}

// finish derives the log probabilities from the counts.
func (c *Classifier) finish() {
	nc, nv := len(c.classes), len(c.tokens)
	c.totals = make([]int64, nc)
	for t := 0; t < nv; t++ {
		for k := 0; k < nc; k++ {
			c.totals[k] += int64(c.counts[t*nc+k])
		}
	}
	ndocs := 0
	for _, d := range c.docs {
		ndocs += d
	}
	c.logPrior = make([]float64, nc)
	for k := range c.classes {
		c.logPrior[k] = math.Log(float64(c.docs[k]) / float64(ndocs))
	}
	alpha := c.opts.Alpha
	denom := make([]float64, nc)
	for k := range c.classes {
		denom[k] = math.Log(float64(c.totals[k]) + alpha*float64(nv))
	}
	c.logLik = make([]float64, nv*nc)
	c.meanLik = make([]float64, nv)
	for t := 0; t < nv; t++ {
		sum := 0.0
		for k := 0; k < nc; k++ {
			l := math.Log(float64(c.counts[t*nc+k])+alpha) - denom[k]
			c.logLik[t*nc+k] = l
			sum += l
		}
		c.meanLik[t] = sum / float64(nc)
	}
}

// Departments returns the departments the classifier knows, sorted.
func (c *Classifier) Departments() []string { return slices.Clone(c.classes) }

// Suggest returns up to k departments for text, most probable first. Text
// with no known bigram or character gets the departments' prior
// probabilities. An untrained classifier suggests nothing.
func (c *Classifier) Suggest(text string, k int) []Suggestion {
	nc := len(c.classes)
	if nc == 0 || k <= 0 {
		return nil
	}
	var hits []tokHit
	tokenize(text, c.opts.Unigrams, func(tok string) {
		id, ok := c.vocab[tok]
		if !ok {
			return
		}
		for i := range hits {
			if hits[i].tok == id {
				if !c.opts.Binary {
					hits[i].n++
				}
				return
			}
		}
		hits = append(hits, tokHit{id, 1})
	})
	score := slices.Clone(c.logPrior)
	for _, h := range hits {
		row := c.logLik[int(h.tok)*nc : int(h.tok)*nc+nc]
		for j, l := range row {
			score[j] += float64(h.n) * l
		}
	}
	best := slices.Max(score)
	sum := 0.0
	post := make([]float64, nc)
	for j, s := range score {
		post[j] = math.Exp(s - best)
		sum += post[j]
	}
	order := make([]int, nc)
	for j := range order {
		order[j] = j
		post[j] /= sum
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(post[b], post[a]) })
	if k > nc {
		k = nc
	}
	out := make([]Suggestion, k)
	for i, j := range order[:k] {
		out[i] = Suggestion{Department: c.classes[j], Confidence: post[j], Why: c.why(hits, j)}
	}
	return out
}

// tokHit is a known token of a text and how often it counts.
type tokHit struct {
	tok int32
	n   int
}

// why returns the (at most three) bigrams or words of the text that most
// favour class j over the average department.
func (c *Classifier) why(hits []tokHit, j int) []string {
	nc := len(c.classes)
	type contrib struct {
		tok string
		w   float64
	}
	var cs []contrib
	for _, h := range hits {
		tok := c.tokens[h.tok]
		if utf8.RuneCountInString(tok) < 2 {
			continue // single characters say little to a reader
		}
		w := float64(h.n) * (c.logLik[int(h.tok)*nc+j] - c.meanLik[h.tok])
		if w > 0 {
			cs = append(cs, contrib{tok, w})
		}
	}
	slices.SortStableFunc(cs, func(a, b contrib) int { return cmp.Or(cmp.Compare(b.w, a.w), strings.Compare(a.tok, b.tok)) })
	var out []string
	for i := 0; i < len(cs) && i < 3; i++ {
		out = append(out, cs[i].tok)
	}
	return out
}

// tokenize calls emit for every feature of text: each pair of adjacent Han
// characters, each Han character when unigrams is set, and each run of
// Latin letters in lower case. Digits, punctuation and spaces separate
// tokens. The tokens passed to emit may alias text.
func tokenize(text string, unigrams bool, emit func(string)) {
	prev := -1 // byte offset of the previous rune when it was Han
	latin := -1
	var lower []byte
	flushLatin := func(end int) {
		if latin >= 0 {
			w := text[latin:end]
			if hasUpper(w) {
				lower = append(lower[:0], w...)
				for i, b := range lower {
					if 'A' <= b && b <= 'Z' {
						lower[i] = b + 'a' - 'A'
					}
				}
				w = string(lower)
			}
			emit(w)
			latin = -1
		}
	}
	for i, r := range text {
		size := utf8.RuneLen(r)
		if size < 0 {
			size = 1
		}
		switch {
		case unicode.Is(unicode.Han, r):
			flushLatin(i)
			if unigrams {
				emit(text[i : i+size])
			}
			if prev >= 0 {
				emit(text[prev : i+size])
			}
			prev = i
		case r < 0x80 && ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'):
			prev = -1
			if latin < 0 {
				latin = i
			}
		default:
			prev = -1
			flushLatin(i)
		}
	}
	flushLatin(len(text))
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

// classifierJSON is the stored form of a Classifier: hyper-parameters and
// raw counts, from which the probabilities are derived again on loading.
type classifierJSON struct {
	Format  string            `json:"format"`
	Options classifierOptions `json:"options"`
	Classes []classJSON       `json:"classes"`
}

type classJSON struct {
	Department string           `json:"department"`
	Docs       int              `json:"docs"`
	Counts     map[string]int32 `json:"counts"`
}

const classifierFormat = "routing/naive-bayes-han/v1"

// MarshalJSON stores the classifier's counts and hyper-parameters.
func (c *Classifier) MarshalJSON() ([]byte, error) {
	nc := len(c.classes)
	v := classifierJSON{Format: classifierFormat, Options: c.opts, Classes: make([]classJSON, nc)}
	for k, d := range c.classes {
		v.Classes[k] = classJSON{Department: d, Docs: c.docs[k], Counts: map[string]int32{}}
	}
	for t, tok := range c.tokens {
		for k := 0; k < nc; k++ {
			if n := c.counts[t*nc+k]; n > 0 {
				v.Classes[k].Counts[tok] = n
			}
		}
	}
	return json.Marshal(v)
}

// UnmarshalJSON loads a classifier stored by MarshalJSON.
func (c *Classifier) UnmarshalJSON(b []byte) error {
	var v classifierJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Format != classifierFormat {
		return fmt.Errorf("routing: classifier format %q, want %q", v.Format, classifierFormat)
	}
	if !(v.Options.Alpha > 0) {
		return errors.New("routing: classifier smoothing must be positive")
	}
	n := Classifier{opts: v.Options, vocab: map[string]int32{}}
	total := 0
	for _, cl := range v.Classes {
		if cl.Department == "" || cl.Docs < 0 || slices.Contains(n.classes, cl.Department) {
			return fmt.Errorf("routing: bad classifier class %q", cl.Department)
		}
		n.classes = append(n.classes, cl.Department)
		n.docs = append(n.docs, cl.Docs)
		total += cl.Docs
		for tok := range cl.Counts {
			n.vocab[tok] = 0
		}
	}
	if total == 0 && len(n.classes) > 0 {
		return errors.New("routing: classifier without documents")
	}
	for tok := range n.vocab {
		n.tokens = append(n.tokens, tok)
	}
	slices.Sort(n.tokens)
	for i, tok := range n.tokens {
		n.vocab[tok] = int32(i)
	}
	nc := len(n.classes)
	n.counts = make([]int32, len(n.tokens)*nc)
	for k, cl := range v.Classes {
		for tok, cnt := range cl.Counts {
			if cnt < 0 {
				return fmt.Errorf("routing: negative count for %q", tok)
			}
			n.counts[int(n.vocab[tok])*nc+k] = cnt
		}
	}
	if nc > 0 {
		n.finish()
	}
	*c = n
	return nil
}
