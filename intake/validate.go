package intake

import (
	"fmt"
	"maps"
	"math"
	"net/mail"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Limits of the fields a citizen or an app sends.
const (
	MaxDescription = 4000 // characters, as Open311 sets it
	MaxAddress     = 500
	MaxName        = 100
	MaxComment     = 1000
	MaxPhotos      = 5
	MaxPhotoBytes  = 5 << 20
)

// NormalizePhone checks a phone number (region CN unless it starts with +) and returns it as
// the centre stores numbers: Chinese numbers as dialled at home, digits only (13800138000,
// 01012345678), others in E.164.
func NormalizePhone(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	if len(raw) > 32 {
		return "", fmt.Errorf("is too long for a phone number")
	}
	if mobileCN(raw) {
		// Most numbers are mobiles typed as eleven digits: checked against the numbering plan
		// without parsing and formatting them, which costs more than the rest of a complaint's
		// checks together, and stored as typed, which is what formatting gives back.
		v, _ := strconv.ParseUint(raw, 10, 64)
		cc := int32(86)
		if !phonenumbers.IsValidNumber(&phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &v}) {
			return "", fmt.Errorf("is not a valid phone number")
		}
		return raw, nil
	}
	return normalizeParsed(raw)
}

// mobileCN reports whether raw has the shape of a Chinese mobile number: eleven digits from 1.
func mobileCN(raw string) bool {
	if len(raw) != 11 || raw[0] != '1' {
		return false
	}
	for i := 0; i < len(raw); i++ {
		if raw[i] < '0' || raw[i] > '9' {
			return false
		}
	}
	return true
}

// normalizeParsed is NormalizePhone for any number: parsed against the numbering plan and
// formatted back.
func normalizeParsed(raw string) (string, error) {
	n, err := phonenumbers.Parse(raw, "CN")
	if err != nil || !phonenumbers.IsValidNumber(n) {
		return "", fmt.Errorf("is not a valid phone number")
	}
	if n.GetCountryCode() == 86 {
		nat := phonenumbers.Format(n, phonenumbers.NATIONAL)
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, nat), nil
	}
	return phonenumbers.Format(n, phonenumbers.E164), nil
}

// NormalizeEmail checks a bare e-mail address (no display name) and returns it trimmed.
func NormalizeEmail(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	if len(raw) > 254 {
		return "", fmt.Errorf("is too long for an e-mail address")
	}
	a, err := mail.ParseAddress(raw)
	if err != nil || a.Address != raw || a.Name != "" || !strings.Contains(raw[strings.LastIndexByte(raw, '@')+1:], ".") {
		return "", fmt.Errorf("is not a valid e-mail address")
	}
	return raw, nil
}

// checkText checks one text field: valid UTF-8, at most max characters, and no control
// characters (line breaks and tabs only where multiline), which XML could not carry.
func checkText(errs *FieldErrors, field, v string, max int, multiline bool) {
	if !utf8.ValidString(v) {
		errs.add(field, "utf8", "is not valid UTF-8")
		return
	}
	if n := utf8.RuneCountInString(v); n > max {
		errs.add(field, "too_long", "is %d characters long; at most %d are allowed", n, max)
		return
	}
	for _, r := range v {
		if r == '\n' || r == '\r' || r == '\t' {
			if multiline {
				continue
			}
			errs.add(field, "line_breaks", "may not contain line breaks")
			return
		}
		if unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF {
			errs.add(field, "control_char", "contains a control character (U+%04X)", r)
			return
		}
	}
}

func checkCoordinates(errs *FieldErrors, lat, lon *float64) {
	switch {
	case (lat == nil) != (lon == nil):
		if lat == nil {
			errs.add("lat", "coordinates_pair", "is missing: lat and long go together")
		} else {
			errs.add("long", "coordinates_pair", "is missing: lat and long go together")
		}
	case lat == nil:
	default:
		if math.IsNaN(*lat) || *lat < -90 || *lat > 90 {
			errs.add("lat", "latitude", "must be between -90 and 90")
		}
		if math.IsNaN(*lon) || *lon < -180 || *lon > 180 {
			errs.add("long", "longitude", "must be between -180 and 180")
		}
	}
}

func checkMediaURL(errs *FieldErrors, v string) {
	if v == "" {
		return
	}
	checkText(errs, "media_url", v, 2000, false)
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs.add("media_url", "url", "must be an absolute http or https URL")
	}
}

// checkAttributes checks the answers to a service's attributes and returns them as stored.
func checkAttributes(errs *FieldErrors, si *ServiceInfo, got map[string][]string) map[string]any {
	out := map[string]any{}
	known := map[string]bool{}
	for _, a := range si.Attributes {
		known[a.Code] = true
		field := "attribute[" + a.Code + "]"
		var vals []string
		for _, v := range got[a.Code] {
			if v = strings.TrimSpace(v); v != "" {
				vals = append(vals, v)
			}
		}
		if len(vals) == 0 {
			if a.Required && a.Variable {
				errs.add(field, "attribute_required", "is required for service %s (%s)", si.Code, a.Description)
			}
			continue
		}
		if a.Datatype != "multivaluelist" && len(vals) > 1 {
			errs.add(field, "one_value", "takes one value")
			continue
		}
		switch a.Datatype {
		case "number":
			f, err := strconv.ParseFloat(vals[0], 64)
			if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
				errs.add(field, "number", "must be a number")
				continue
			}
			out[a.Code] = f
		case "datetime":
			t, err := time.Parse(time.RFC3339, vals[0])
			if err != nil {
				errs.add(field, "datetime", "must be a date and time like 2010-01-01T00:00:00Z")
				continue
			}
			out[a.Code] = t
		case "singlevaluelist", "multivaluelist":
			ok := true
			for _, v := range vals {
				if !hasKey(a.Values, v) {
					errs.add(field, "choice", "has no choice %q", v)
					ok = false
					break
				}
			}
			if !ok {
				continue
			}
			if a.Datatype == "singlevaluelist" {
				out[a.Code] = vals[0]
			} else {
				out[a.Code] = vals
			}
		default:
			checkText(errs, field, vals[0], 1000, a.Datatype == "text")
			out[a.Code] = vals[0]
		}
	}
	for _, code := range slices.Sorted(maps.Keys(got)) {
		if !known[code] {
			errs.add("attribute["+code+"]", "unknown_attribute", "is not an attribute of service %s", si.Code)
		}
	}
	return out
}

func hasKey(vs []AttrValue, k string) bool {
	for _, v := range vs {
		if v.Key == k {
			return true
		}
	}
	return false
}
