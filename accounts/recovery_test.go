package accounts

import (
	"strings"
	"testing"
	"time"
	"unicode"

	"crewid"
)

func TestNewCode(t *testing.T) {
	seen := map[string]bool{}
	for range 500 {
		c := newCode()
		if len(c) != codeLength {
			t.Fatalf("code %q has %d characters", c, len(c))
		}
		var upper, lower bool
		for _, r := range c {
			if !strings.ContainsRune(codeAlphabet, r) {
				t.Fatalf("code %q has %q, outside the alphabet", c, r)
			}
			upper = upper || unicode.IsUpper(r)
			lower = lower || unicode.IsLower(r)
		}
		if !upper || !lower {
			t.Fatalf("code %q lacks a letter of each case", c)
		}
		seen[c] = true
	}
	if len(seen) < 500 {
		t.Errorf("%d distinct codes of 500", len(seen))
	}
}

func TestCodeHashIsPerPerson(t *testing.T) {
	a := crewid.Person{TenantID: 1, ID: 2}
	b := crewid.Person{TenantID: 1, ID: 3}
	if string(codeHash(a, "AbCd2345")) == string(codeHash(b, "AbCd2345")) {
		t.Error("the same code of two people hashes the same")
	}
	if string(codeHash(a, "AbCd2345")) == string(codeHash(a, "abcd2345")) {
		t.Error("codes differing in case hash the same")
	}
}

func TestSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		15 * time.Minute: "15 minutes", time.Hour: "1 hour", 24 * time.Hour: "1 day",
		90 * time.Second: "1 minute", 48 * time.Hour: "2 days",
	} {
		if got := span(d); got != want {
			t.Errorf("span(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestConfigDefaults(t *testing.T) {
	c := Config{}.withDefaults()
	if c.LockoutThreshold != 10 || c.LockoutDuration != 30*time.Minute || c.PasswordMaxAge != 365*24*time.Hour ||
		c.TemporaryPasswordTTL != time.Hour || c.ResetCodeTTL != 15*time.Minute || c.ResetCodeAttempts != 5 ||
		c.MaxConcurrentHashes < 2 || c.SessionCacheTTL != 2*time.Second {
		t.Errorf("defaults: %+v", c)
	}
	c = Config{LockoutThreshold: 3, LockoutDuration: time.Minute}.withDefaults()
	if c.LockoutThreshold != 3 || c.LockoutDuration != time.Minute {
		t.Errorf("explicit values replaced: %+v", c)
	}
}
