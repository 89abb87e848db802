package intake_test

import (
	"encoding/json"
	"encoding/xml"
	"math"
	"net/url"
	"testing"
	"unicode/utf8"

	"github.com/hotline-city/hotline/intake"
)

// FuzzDecodeRequest feeds arbitrary POST bodies to the Open311 decoder: it must never panic,
// every error must name its field, numbers must be finite, and the error answer must encode
// in both formats.
func FuzzDecodeRequest(f *testing.F) {
	for _, s := range []string{
		"api_key=xyz&service_code=001&lat=37.76524078&long=-122.4212043&address_string=1234+5th+street&email=smit333%40sfgov.edu&description=A+large+sinkhole&attribute[WHISPAWN]=123456&attribute[WHISDORN]=COISL001",
		"service_code=noise&lat=NaN&long=Inf&attribute[noise_time][]=day&attribute[noise_time][]=night",
		"attribute[]=x&attribute[a][b]=y&attribute[=z&lat=1e400&long=-0",
		"description=%E5%99%AA%E5%A3%B0%F0%9F%98%A1%3Cb%3E&phone=%2B86+138+0013+8000",
		"lat=%FF%FE&long=0x10&first_name=%00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		form, _ := url.ParseQuery(raw)
		sub, errs := intake.DecodeRequest(form)
		for _, e := range errs {
			if e.Field == "" || e.Msg == "" {
				t.Fatalf("an error without its field: %+v", e)
			}
		}
		for _, p := range []*float64{sub.Lat, sub.Lon} {
			if p != nil && (math.IsNaN(*p) || math.IsInf(*p, 0)) {
				t.Fatalf("a coordinate that is not a finite number: %v", *p)
			}
		}
		for code := range sub.Attributes {
			if code == "" {
				t.Fatal("an attribute without a code")
			}
		}
		list := intake.ErrorList{}
		for _, e := range errs {
			list.Errors = append(list.Errors, intake.Error{Code: 400, Description: e.Field + ": " + e.Msg})
		}
		for _, format := range []string{"json", "xml"} {
			b, err := intake.Render(format, list)
			if err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			var back intake.ErrorList
			if format == "json" {
				err = json.Unmarshal(b, &back.Errors)
			} else {
				err = xml.Unmarshal(b, &back)
			}
			if err != nil || len(back.Errors) != len(list.Errors) {
				t.Fatalf("%s answer does not decode: %v\n%s", format, err, b)
			}
		}
	})
}

// FuzzNormalizePhone checks that a number the centre accepts is accepted again unchanged, so
// the phone stored with a ticket is the one a citizen's look-up normalises to.
func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"13800138000", "+86 138-0013-8000", "010 8888 6666", "+44 20 7946 0958", "12345", "", "+", "１３８００１３８０００"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := intake.NormalizePhone(raw)
		if err != nil || p == "" {
			return
		}
		again, err := intake.NormalizePhone(p)
		if err != nil || again != p {
			t.Fatalf("%q normalises to %q, which normalises to %q (%v)", raw, p, again, err)
		}
	})
}

// FuzzNormalizeEmail checks that an accepted address is valid UTF-8 and stable.
func FuzzNormalizeEmail(f *testing.F) {
	for _, s := range []string{"a@b.cn", "Zhang <z@example.cn>", "a@b", "\"x y\"@example.com", "用户@例子.中国"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		e, err := intake.NormalizeEmail(raw)
		if err != nil || e == "" {
			return
		}
		if !utf8.ValidString(e) {
			t.Fatalf("accepted invalid UTF-8 %q", e)
		}
		if again, err := intake.NormalizeEmail(e); err != nil || again != e {
			t.Fatalf("%q → %q → %q (%v)", raw, e, again, err)
		}
	})
}
