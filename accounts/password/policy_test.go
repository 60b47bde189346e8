package password

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"crewid"
)

// messagesOf returns the messages Check gave for the password field, failing
// the test if err is not the Invalid *crewid.Error Check promises.
func messagesOf(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var e *crewid.Error
	if !errors.As(err, &e) {
		t.Fatalf("Check returned %T (%v), want *crewid.Error", err, err)
	}
	if e.Code != crewid.Invalid {
		t.Errorf("code = %q, want %q", e.Code, crewid.Invalid)
	}
	if len(e.Fields) != 1 || len(e.Fields[Field]) == 0 {
		t.Fatalf("fields = %v, want messages under %q only", e.Fields, Field)
	}
	return e.Fields[Field]
}

func wantRules(ids ...int) []string {
	var out []string
	for _, id := range ids {
		out = append(out, rules[id].message)
	}
	return out
}

func TestCheckEachRuleAlone(t *testing.T) {
	tests := []struct {
		name         string
		pw           string
		login, email string
		want         []int
	}{
		{name: "valid", pw: "Gravel-Truck-42x"},
		{name: "exactly 10", pw: "Gravel-T4x"},
		{name: "too short", pw: "Gravel-T4", want: []int{ruleMinLength}},
		{name: "too long", pw: strings.Repeat("Ab1x", 64) + "y", want: []int{ruleMaxLength}},
		{name: "no upper", pw: "gravel-truck-42x", want: []int{ruleUpper}},
		{name: "no lower", pw: "GRAVEL-TRUCK-42X", want: []int{ruleLower}},
		{name: "no digit", pw: "Gravel-Truck-xyz", want: []int{ruleDigit}},
		{name: "NUL", pw: "Gravel\x00Truck42", want: []int{ruleControl}},
		{name: "tab", pw: "Gravel\tTruck42", want: []int{ruleControl}},
		{name: "newline", pw: "Gravel-Truck42\n", want: []int{ruleControl}},
		{name: "DEL", pw: "Gravel\x7fTruck42", want: []int{ruleControl}},
		{name: "C1 control", pw: "Gravel\u0085Truck42", want: []int{ruleControl}},
		{name: "invalid UTF-8", pw: "Gravel\xffTruck42", want: []int{ruleControl}},
		{name: "common", pw: "Password123", want: []int{ruleCommon}},
		{name: "common with symbol", pw: "Password123!", want: []int{ruleCommon}},
		{name: "same as login", pw: "Gravel.Truck42", login: "gravel.truck42", want: []int{ruleIdentity}},
		{name: "same as login padded", pw: "Gravel.Truck42", login: " gravel.truck42 ", want: []int{ruleIdentity}},
		{name: "same as email", pw: "Tech.Bob42@Example.com", email: "tech.bob42@example.com", want: []int{ruleIdentity}},
		{name: "same as email local part", pw: "Tech.Bob42", email: "tech.bob42@example.com", want: []int{ruleIdentity}},
		{name: "contains login is fine", pw: "Tech.Bob42-Valve", login: "tech.bob42", email: "tech.bob42@example.com"},
		{name: "empty login and email ignored", pw: "Gravel-Truck-42x", login: "", email: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := messagesOf(t, Check(tt.pw, tt.login, tt.email))
			if want := wantRules(tt.want...); !slices.Equal(got, want) {
				t.Errorf("Check(%q) messages\n got %q\nwant %q", tt.pw, got, want)
			}
		})
	}
}

func TestCheckListsEveryBrokenRule(t *testing.T) {
	tests := []struct {
		pw   string
		want []int
	}{
		{"", []int{ruleMinLength, ruleUpper, ruleLower, ruleDigit}},
		{"hunter2", []int{ruleMinLength, ruleUpper, ruleCommon}},
		{"123456", []int{ruleMinLength, ruleUpper, ruleLower, ruleCommon}},
		{"password", []int{ruleMinLength, ruleUpper, ruleDigit, ruleCommon}},
		{"\x00", []int{ruleMinLength, ruleUpper, ruleLower, ruleDigit, ruleControl}},
		{strings.Repeat("a", 300), []int{ruleMaxLength, ruleUpper, ruleDigit}},
	}
	for _, tt := range tests {
		got := messagesOf(t, Check(tt.pw, "", ""))
		if want := wantRules(tt.want...); !slices.Equal(got, want) {
			t.Errorf("Check(%q) messages\n got %q\nwant %q", tt.pw, got, want)
		}
	}
}

func TestCheckCommon(t *testing.T) {
	refused := []string{
		"password123",
		"Password1234",
		"PASSWORD1234",
		"Qwerty12345",
		"qwerty12345!",
		"1qaz2wsx3edc",
		"P@ssw0rd2024",
		"!Password123",
		"Iloveyou2024",
		"Welcome1!!",
		"Ｐａｓｓｗｏｒｄ１２３", // full-width forms normalize to Password123
		"hunter2",
	}
	for _, pw := range refused {
		if !slices.Contains(messagesOf(t, Check(pw, "", "")), rules[ruleCommon].message) {
			t.Errorf("Check(%q) did not call it common", pw)
		}
	}

	accepted := []string{
		"Tr0ub4dor&3xyz",
		"CorrectHorse9Battery",
		"Zü9rich-Wasser-Turm",
		// Passphrases that merely contain listed passwords.
		"Password-Lighthouse-7",
		"MonkeyWrench42Valve",
		"Dragon7-Compressor",
		"Summer2024 at the lake",
		// Five or more digits added to a listed word are not stripped
		// (the stripped part must be short).
		"Furnace-12345",
		// Decision: a run of digits in front of a letter sequence is not
		// on the list, in any stripped form, so the policy lets it pass;
		// refusing such patterns would need a strength estimator, which
		// the policy does not use.
		"123456Abcdef",
	}
	for _, pw := range accepted {
		if err := Check(pw, "", ""); err != nil {
			t.Errorf("Check(%q) = %v, want nil", pw, err)
		}
	}
}

func TestIsCommonStripping(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"password", true},
		{"password1", true}, // on the list as is
		{"password!!!!", true},
		{"password12345", true}, // on the list as is
		{"!!password!!", true},
		{"12password99", true},
		{"password#####", false}, // five stripped: too many
		{"###password##", false},
		{"passwordx", false},
		{"ourpassword9", false}, // letters are never stripped
		{"a!!!!", false},        // too little left
		{"", false},
		{"!!!!", false},
		{"€€password€€", true}, // non-ASCII symbols count as symbols
	}
	for _, tt := range tests {
		if got := isCommon(tt.s); got != tt.want {
			t.Errorf("isCommon(%q) = %v, want %v", tt.s, got, tt.want)
		}
	}
}

func TestCommonList(t *testing.T) {
	n := CommonCount()
	if n < 10000 {
		t.Fatalf("common-password list holds %d passwords, want at least 10,000", n)
	}
	t.Logf("common-password list: %d passwords", n)
	for p := range common() {
		if p != strings.ToLower(p) {
			t.Fatalf("set entry %q is not lower-case", p)
		}
	}
	for _, p := range []string{"123456", "password", "qwerty", "hunter2", "password123", "iloveyou"} {
		if _, ok := common()[p]; !ok {
			t.Errorf("%q missing from the common-password list", p)
		}
	}
}

func TestCheckUnicode(t *testing.T) {
	// Ten code points, more than ten bytes: long enough.
	ten := "Ärger9öüßé"
	if utf8.RuneCountInString(ten) != 10 || len(ten) <= 10 {
		t.Fatalf("bad fixture %q", ten)
	}
	if err := Check(ten, "", ""); err != nil {
		t.Errorf("Check(%q) = %v, want nil", ten, err)
	}
	// Nine code points, more than ten bytes: too short.
	nine := "Ärger9öüß"
	if got, want := messagesOf(t, Check(nine, "", "")), wantRules(ruleMinLength); !slices.Equal(got, want) {
		t.Errorf("Check(%q) = %q, want %q", nine, got, want)
	}

	accepted := []string{
		"Zü9rich-Wasser-Turm",
		"Αθήνα2024πόλη",      // Greek letters have case
		"Москва-2024-улица",  // so do Cyrillic ones
		"Çağlayan 7 Şelale",  // spaces are printable
		"Ünïcødé-Pässwörd-1", // Latin with diacritics
		"Klempner🔧Rohr42x",   // emoji are neither letters nor controls
	}
	for _, pw := range accepted {
		if err := Check(pw, "", ""); err != nil {
			t.Errorf("Check(%q) = %v, want nil", pw, err)
		}
	}

	// Scripts without case cannot supply the letters the policy asks for.
	if got, want := messagesOf(t, Check("東京タワー2024とうきょう", "", "")), wantRules(ruleUpper, ruleLower); !slices.Equal(got, want) {
		t.Errorf("caseless script: got %q, want %q", got, want)
	}

	// Composed and decomposed forms are one password.
	composed, decomposed := "Zürich-Wasser-9", "Zu\u0308rich-Wasser-9"
	if err := Check(decomposed, "", ""); err != nil {
		t.Errorf("Check(decomposed) = %v", err)
	}
	if err := Check(composed, "zu\u0308rich-wasser-9", ""); err == nil {
		t.Error("password equal to a decomposed login was accepted")
	}
}

func TestCheckLongPasswords(t *testing.T) {
	for _, n := range []int{64, 255, 256} {
		pw := strings.Repeat("Xy7-", 64)[:n]
		if err := Check(pw, "", ""); err != nil {
			t.Errorf("%d-character password: %v", n, err)
		}
	}
	// 256 code points of several bytes each are still 256 characters.
	wide := strings.Repeat("Äö9€", 64)
	if err := Check(wide, "", ""); err != nil {
		t.Errorf("256 multi-byte characters: %v", err)
	}
	if err := Check(wide+"x", "", ""); err == nil {
		t.Error("257 multi-byte characters accepted")
	}
}

func TestRules(t *testing.T) {
	r := Rules()
	if len(r) != int(ruleCount) {
		t.Fatalf("Rules() has %d entries, want %d", len(r), ruleCount)
	}
	for i, s := range r {
		if s == "" || rules[i].message == "" {
			t.Errorf("rule %d has no text or message", i)
		}
	}
	r[0] = "changed"
	if Rules()[0] == "changed" {
		t.Error("Rules() shares its slice with the package")
	}
}
