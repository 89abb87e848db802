package org

import (
	_ "embed"
	"errors"
	"strings"
	"unicode/utf8"
)

// MinPasswordLength is the shortest password an account may be given.
const MinPasswordLength = 12

// Reasons a password is refused; the web maps each to a message in the reader's language.
var (
	ErrPasswordShort    = errors.New("at least 12 characters")
	ErrPasswordCommon   = errors.New("too common: choose one nobody would guess")
	ErrPasswordUsername = errors.New("must not contain the username")
)

//go:embed common-passwords.txt
var commonPasswordList string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// CheckPasswordPolicy refuses a password for the account username that is shorter than
// MinPasswordLength, in the list of common passwords shipped with the binary, one character
// repeated, or that contains the username.
func CheckPasswordPolicy(password, username string) error {
	if utf8.RuneCountInString(password) < MinPasswordLength {
		return ErrPasswordShort
	}
	lower := strings.ToLower(password)
	first, _ := utf8.DecodeRuneInString(lower)
	if commonPasswords[lower] || strings.Trim(lower, string(first)) == "" {
		return ErrPasswordCommon
	}
	if username != "" && strings.Contains(lower, strings.ToLower(username)) {
		return ErrPasswordUsername
	}
	return nil
}
