package intake

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// TestMobileShortcutAgreesWithParsing: for eleven-digit numbers from 1, valid and not, the
// shortcut gives exactly what parsing and formatting give.
func TestMobileShortcutAgreesWithParsing(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(12345, 6789))
	valid := 0
	for i := range 20000 {
		raw := fmt.Sprintf("1%d%09d", i%10, rng.IntN(1_000_000_000))
		if !mobileCN(raw) {
			t.Fatalf("%s: not taken for a mobile's shape", raw)
		}
		got, gotErr := NormalizePhone(raw)
		want, wantErr := normalizeParsed(raw)
		if got != want || (gotErr == nil) != (wantErr == nil) {
			t.Fatalf("%s: shortcut %q, %v; parsing %q, %v", raw, got, gotErr, want, wantErr)
		}
		if gotErr == nil {
			valid++
		}
	}
	// Both kinds must have been compared: 10 and 11 are not mobile prefixes, 13 to 19 mostly are.
	if valid < 5000 || valid > 19000 {
		t.Fatalf("%d of 20000 valid: the sample does not cover both kinds", valid)
	}
	for _, raw := range []string{"1380013800", "138001380001", "1380013800x", "23800138000", "+8613800138000"} {
		if mobileCN(raw) {
			t.Errorf("%s taken for a mobile's shape", raw)
		}
	}
}
