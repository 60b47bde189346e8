// Package password holds the rules a sign-in password must follow and the
// way passwords are stored: a slow, salted argon2id hash in a self-describing
// PHC string.
//
// The package is pure domain code: no HTTP, no SQL. Every function that looks
// at a password (Check, Hash, Verify, VerifyDummy) first brings it to Unicode
// normalization form NFKC, so the same password typed on different keyboards
// or systems is checked and hashed the same way.
package password

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"crewid"
)

// Length limits, counted in Unicode code points after normalization.
const (
	MinLength = 10
	MaxLength = 256
)

// Field is the field name under which Check reports problems.
const Field = "password"

// rule is one requirement of the policy: how it is shown to a person choosing
// a password and what is said when a password breaks it.
type rule struct {
	text    string
	message string
}

// The rules in the order they are shown and reported.
const (
	ruleMinLength = iota
	ruleMaxLength
	ruleUpper
	ruleLower
	ruleDigit
	ruleControl
	ruleCommon
	ruleIdentity
	ruleCount
)

var rules = [ruleCount]rule{
	ruleMinLength: {
		text:    "At least 10 characters",
		message: "Password must be at least 10 characters long.",
	},
	ruleMaxLength: {
		text:    "No more than 256 characters",
		message: "Password must be no more than 256 characters long.",
	},
	ruleUpper: {
		text:    "At least one upper-case letter",
		message: "Password must contain at least one upper-case letter.",
	},
	ruleLower: {
		text:    "At least one lower-case letter",
		message: "Password must contain at least one lower-case letter.",
	},
	ruleDigit: {
		text:    "At least one digit (0-9)",
		message: "Password must contain at least one digit (0-9).",
	},
	ruleControl: {
		text:    "No control characters",
		message: "Password must not contain control characters or invalid text.",
	},
	ruleCommon: {
		text:    "Not a commonly used password",
		message: "Password is too commonly used; choose one that is harder to guess.",
	},
	ruleIdentity: {
		text:    "Not the same as your username or email address",
		message: "Password must not be the same as the username or email address.",
	},
}

// Rules returns the password requirements as short sentences, in a fixed
// order, for showing to a person while they choose a password. The caller
// owns the returned slice.
func Rules() []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		out[i] = r.text
	}
	return out
}

// Check reports whether pw may be used as the password of the account with
// the given login and email (either may be empty). It returns nil when pw
// meets every rule, and otherwise a *crewid.Error with code Invalid that
// lists, under the field "password", one message for each broken rule in the
// order of Rules.
func Check(pw, login, email string) error {
	var broken [ruleCount]bool

	if !utf8.ValidString(pw) {
		broken[ruleControl] = true
	}
	s := normalize(pw)

	n := 0
	var upper, lower, digit bool
	for _, r := range s {
		n++
		switch {
		case unicode.IsUpper(r):
			upper = true
		case unicode.IsLower(r):
			lower = true
		case unicode.IsDigit(r):
			digit = true
		case unicode.IsControl(r):
			broken[ruleControl] = true
		}
	}
	broken[ruleMinLength] = n < MinLength
	broken[ruleMaxLength] = n > MaxLength
	broken[ruleUpper] = !upper
	broken[ruleLower] = !lower
	broken[ruleDigit] = !digit
	// Longer than any listed password: no need to look (and no need to
	// lower-case a long string).
	broken[ruleCommon] = n <= MaxLength && isCommon(strings.ToLower(s))
	broken[ruleIdentity] = sameAsIdentity(s, login, email)

	var msgs []string
	for i, b := range broken {
		if b {
			msgs = append(msgs, rules[i].message)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return &crewid.Error{
		Code:    crewid.Invalid,
		Message: "The request is invalid.",
		Fields:  map[string][]string{Field: msgs},
	}
}

// normalize brings a password to NFKC, the form it is checked and hashed in.
func normalize(pw string) string {
	return norm.NFKC.String(pw)
}

// sameAsIdentity reports whether the (normalized) password s equals, ignoring
// case, the login, the email address or the part of the address before the @.
func sameAsIdentity(s, login, email string) bool {
	email = strings.TrimSpace(email)
	local := email
	if at := strings.LastIndexByte(email, '@'); at >= 0 {
		local = email[:at]
	}
	for _, id := range [...]string{login, email, local} {
		id = strings.TrimSpace(id)
		if id != "" && strings.EqualFold(s, normalize(id)) {
			return true
		}
	}
	return false
}
