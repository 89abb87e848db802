package org_test

import (
	"errors"
	"testing"

	"github.com/hotline-city/hotline/internal/org"
)

func TestPasswordPolicy(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		pw, user string
		want     error
	}{
		{"sports-pass-123", "handler-sports", nil},
		{"长城内外大河上下顿失滔滔", "agent9", nil},
		{"short-pw", "agent9", org.ErrPasswordShort},
		{"demo-agent", "agent1", org.ErrPasswordShort},
		{"Password1234", "agent9", org.ErrPasswordCommon},
		{"1qaz2wsx3edc", "agent9", org.ErrPasswordCommon},
		{"aaaaaaaaaaaaaaaa", "agent9", org.ErrPasswordCommon},
		{"my-Agent9-secret", "agent9", org.ErrPasswordUsername},
	} {
		if err := org.CheckPasswordPolicy(tc.pw, tc.user); !errors.Is(err, tc.want) {
			t.Errorf("%q for %s: %v, want %v", tc.pw, tc.user, err, tc.want)
		}
	}
}
