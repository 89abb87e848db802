package intake

import (
	"fmt"
	"testing"
)

func TestPhoneCacheAnswersAsNormalizePhone(t *testing.T) {
	t.Parallel()
	c := newPhoneCache(3)
	inputs := []string{"13800138000", "+86 138-0013-8000", "010 8888 6666", "+44 20 7946 0958", "12345", "", "１３８００１３８０００", "not a phone"}
	// Twice round, past the bound, so answers come both from the cache and afresh.
	for round := 0; round < 2; round++ {
		for _, raw := range inputs {
			// Serial: the cases share one small cache, in an order that has answers come both from it and afresh.
			t.Run(fmt.Sprintf("%d/%s", round, raw), func(t *testing.T) {
				want, wantErr := NormalizePhone(raw)
				got, err := c.normalize(raw)
				if got != want || (err == nil) != (wantErr == nil) || (err != nil && err.Error() != wantErr.Error()) {
					t.Fatalf("normalize(%q) = %q, %v; NormalizePhone says %q, %v", raw, got, err, want, wantErr)
				}
				if len(c.m) > c.max {
					t.Fatalf("cache holds %d numbers, bound %d", len(c.m), c.max)
				}
			})
		}
	}
}
