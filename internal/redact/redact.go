// Package redact takes personal data out of text that is published: what citizens typed into
// a complaint reaches the public Open311 API and open data, where nobody should read another
// citizen's phone number, ID card number, e-mail address, car plate or front door.
package redact

import (
	"regexp"
	"strings"
)

var (
	// An ID card number: 18 characters (the last may be X) or the old 15 digits.
	idCard = regexp.MustCompile(`(^|[^0-9A-Za-z])([1-9][0-9]{5}(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])[0-9]{3}[0-9Xx]|[1-9][0-9]{14})([^0-9A-Za-z]|$)`)
	// A phone number: a mobile (1[3-9] and nine digits, perhaps after +86), a landline with
	// its area code (0 and 2–3 digits, a dash or space, 7–8 digits), or a bare run of 7 to 12
	// digits. Ticket numbers (8 digits, a dash, 6 digits) stay as they are.
	phone = regexp.MustCompile(`(^|[^0-9-])((?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}|0[0-9]{2,3}[- ][0-9]{7,8}|[0-9]{7,12})([^0-9]|$)`)
	email = regexp.MustCompile(`[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}`)
	// A car plate: the province's character, the city's letter, five or six letters and digits.
	plate = regexp.MustCompile(`([京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼])([A-Z])[·• ]?([A-Z0-9]{5,6})`)
)

// Text masks the phone numbers, ID card numbers, e-mail addresses and car plates in s,
// keeping enough of each (its first and last characters) that a reader sees what was there.
func Text(s string) string {
	s = idCard.ReplaceAllStringFunc(s, func(m string) string {
		p := idCard.FindStringSubmatch(m)
		return p[1] + keep(p[2], 3, 2) + p[3]
	})
	// Matches may touch (two numbers with one space between): run until nothing changes.
	for range 3 {
		next := phone.ReplaceAllStringFunc(s, func(m string) string {
			p := phone.FindStringSubmatch(m)
			digits := p[2]
			if p[3] == "-" {
				return m // the first half of a ticket number such as 20261116-000123
			}
			return p[1] + keep(digits, 3, 4) + p[3]
		})
		if next == s {
			break
		}
		s = next
	}
	s = email.ReplaceAllStringFunc(s, func(m string) string {
		local, domain, _ := strings.Cut(m, "@")
		return keep(local, 1, 0) + "@" + domain
	})
	s = plate.ReplaceAllString(s, "$1$2·*****")
	return s
}

// keep shows the first head and last tail runes of s and stars for the rest; a short s is
// all stars but its first rune.
func keep(s string, head, tail int) string {
	r := []rune(s)
	if len(r) <= head+tail {
		head, tail = min(1, len(r)), 0
	}
	return string(r[:head]) + strings.Repeat("*", len(r)-head-tail) + string(r[len(r)-tail:])
}

// street matches an address up to its last road, street, lane or township word.
var street = regexp.MustCompile(`^.*(?:大街|大道|胡同|街道|路|街|道|巷|里|弄|镇|乡)`)

// Address coarsens a citizen's address to its street: "东城区安定门大街1号院3号楼" becomes
// "东城区安定门大街". What comes from the first number on (house, building, flat) goes; of
// the rest, an address with a street word keeps up to it, one without keeps its district
// ("…区", "…县") at most, and otherwise nothing.
func Address(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexFunc(s, func(r rune) bool { return r >= '0' && r <= '9' || r >= '０' && r <= '９' }); i >= 0 {
		s = s[:i]
	}
	if m := street.FindString(s); m != "" {
		return Text(m)
	}
	if i := strings.LastIndexAny(s, "区县"); i >= 0 {
		return s[:i+len("区")]
	}
	return ""
}
