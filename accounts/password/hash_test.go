package password

import (
	"errors"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

// fast are low parameters for tests that need many hashes.
var fast = Params{Memory: minMemory, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32}

func TestVersionMatchesPrefix(t *testing.T) {
	if argon2.Version != 19 {
		t.Fatalf("argon2.Version = %d; the encoded prefix says v=19", argon2.Version)
	}
}

var phcPattern = regexp.MustCompile(`^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$`)

func TestHashVerifyRoundTrip(t *testing.T) {
	const pw = "Gravel-Truck-42x"
	h, err := Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if !phcPattern.MatchString(h) {
		t.Fatalf("Hash = %q, not the expected PHC form", h)
	}
	if ok, err := Verify(h, pw); !ok || err != nil {
		t.Errorf("Verify(right password) = %v, %v; want true, nil", ok, err)
	}
	for _, wrong := range []string{"", "gravel-truck-42x", "Gravel-Truck-42", "Gravel-Truck-42x ", pw + pw} {
		if ok, err := Verify(h, wrong); ok || err != nil {
			t.Errorf("Verify(%q) = %v, %v; want false, nil", wrong, ok, err)
		}
	}
	if NeedsRehash(h) {
		t.Error("NeedsRehash(fresh hash) = true")
	}

	h2, err := Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if h2 == h {
		t.Error("two hashes of one password are equal: salt not random")
	}
}

func TestHashVerifyLongAndUnicode(t *testing.T) {
	for _, pw := range []string{
		strings.Repeat("Xy7-", 16), // 64 characters
		strings.Repeat("Xy7-", 64), // 256 characters
		strings.Repeat("Äö9€", 64), // 256 characters, 2-3 bytes each
		"Zü9rich-Wasser-Turm",
		"",
	} {
		h, err := fast.Hash(pw)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := Verify(h, pw); !ok || err != nil {
			t.Errorf("Verify(%.20q…) = %v, %v", pw, ok, err)
		}
		if ok, _ := Verify(h, pw+"x"); ok {
			t.Errorf("Verify accepted %.20q…+x", pw)
		}
	}

	// The same password typed composed or decomposed verifies either way.
	h, err := fast.Hash("Zürich-Wasser-9")
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := Verify(h, "Zu\u0308rich-Wasser-9"); !ok || err != nil {
		t.Errorf("decomposed form: Verify = %v, %v", ok, err)
	}
}

// TestVerifyReferenceVector checks a hash made by the Argon2 reference
// implementation (password "password", salt "somesalt", m=65536, t=2, p=1),
// so that hashes written by other tools verify too.
func TestVerifyReferenceVector(t *testing.T) {
	const h = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	if ok, err := Verify(h, "password"); !ok || err != nil {
		t.Errorf("Verify(reference vector) = %v, %v; want true, nil", ok, err)
	}
	if ok, err := Verify(h, "Password"); ok || err != nil {
		t.Errorf("Verify(reference vector, wrong) = %v, %v; want false, nil", ok, err)
	}
	// Its 8-byte salt is shorter than Current's.
	if !NeedsRehash(h) {
		t.Error("NeedsRehash(8-byte salt) = false, want true")
	}
}

func TestVerifyTampered(t *testing.T) {
	const pw = "Gravel-Truck-42x"
	h, err := fast.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	// Changing a character of the salt or hash, or a parameter within
	// bounds, leaves a well-formed string that no longer matches.
	i := strings.LastIndexByte(h, '$')
	flip := func(s string, at int) string {
		c := byte('A')
		if s[at] == 'A' {
			c = 'B'
		}
		return s[:at] + string(c) + s[at+1:]
	}
	for _, bad := range []string{
		flip(h, i+1), // first character of the hash
		flip(h, i-2), // a character of the salt
		strings.Replace(h, "m=8192", "m=8193", 1),
		strings.Replace(h, "t=1", "t=2", 1),
	} {
		if bad == h {
			t.Fatal("tampering changed nothing")
		}
		if ok, err := Verify(bad, pw); ok || err != nil {
			t.Errorf("Verify(%q) = %v, %v; want false, nil", bad, ok, err)
		}
	}
}

func TestVerifyMalformed(t *testing.T) {
	const salt, key = "c29tZXNhbHRzb21lc2FsdA", "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc"
	good := "$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key
	if _, _, _, err := decode(good); err != nil {
		t.Fatalf("fixture does not decode: %v", err)
	}
	malformed := []string{
		"",
		"$",
		"$$$$$",
		"argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2i$v=19$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2d$v=19$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=16$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$m=19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "$",
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "$extra",
		"$argon2id$v=19$m=19456,t=2$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1,k=3$" + salt + "$" + key,
		"$argon2id$v=19$t=2,m=19456,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=019456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=+19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=-1,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m= 19456,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$",
		// Out of bounds: would allocate or run without limit, or panic.
		"$argon2id$v=19$m=4194304,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=999999999,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=4294967295,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=99999999999999999999,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=0,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=1000,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=0$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=255$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=256$" + salt + "$" + key,
		"$argon2id$v=19$m=16,t=2,p=1$" + salt + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$" + key,     // 4-byte salt
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$AAAA", // 3-byte key
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + strings.Repeat("A", 200),
		// Not canonical base64.
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "==$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$" + key + "=",
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt[:len(salt)-1] + "B$" + key, // nonzero pad bits
		"$argon2id$v=19$m=19456,t=2,p=1$" + strings.ReplaceAll(salt, "c", "-") + "$" + key,
		"$argon2id$v=19$m=19456,t=2,p=1$" + salt + "$_" + key[1:], // URL alphabet
		good + strings.Repeat("A", 1<<20),
		strings.Repeat("$", 1<<16),
		"\x00\xff\xfe",
	}
	for _, h := range malformed {
		ok, err := Verify(h, "password")
		if ok || err == nil {
			t.Errorf("Verify(%.80q) = %v, %v; want false and an error", h, ok, err)
			continue
		}
		if !errors.Is(err, ErrMalformedHash) {
			t.Errorf("Verify(%.80q) error %v does not wrap ErrMalformedHash", h, err)
		}
		if !NeedsRehash(h) {
			t.Errorf("NeedsRehash(%.80q) = false for a malformed hash", h)
		}
	}
}

func TestNeedsRehash(t *testing.T) {
	const pw = "Gravel-Truck-42x"
	lower := []Params{
		{Memory: 8192, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 2, Threads: 1, SaltLen: 8, KeyLen: 32},
		{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 16},
	}
	for _, p := range lower {
		h, err := p.Hash(pw)
		if err != nil {
			t.Fatal(err)
		}
		if !NeedsRehash(h) {
			t.Errorf("NeedsRehash(%+v) = false, want true", p)
		}
		// Parameters come from the string, so old hashes still verify.
		if ok, err := Verify(h, pw); !ok || err != nil {
			t.Errorf("Verify with %+v = %v, %v", p, ok, err)
		}
	}

	higher := Params{Memory: 32768, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32}
	h, err := higher.Hash(pw)
	if err != nil {
		t.Fatal(err)
	}
	if NeedsRehash(h) {
		t.Error("NeedsRehash(higher than Current) = true")
	}
	if ok, err := Verify(h, pw); !ok || err != nil {
		t.Errorf("Verify with higher parameters = %v, %v", ok, err)
	}
}

func TestParamsHashRejectsOutOfBounds(t *testing.T) {
	for _, p := range []Params{
		{},
		{Memory: maxMemory + 1, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 0, Threads: 1, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 1, Threads: 0, SaltLen: 16, KeyLen: 32},
		{Memory: 19456, Time: 1, Threads: 1, SaltLen: 4, KeyLen: 32},
		{Memory: 19456, Time: 1, Threads: 1, SaltLen: 16, KeyLen: 8},
	} {
		if h, err := p.Hash("Gravel-Truck-42x"); err == nil {
			t.Errorf("%+v.Hash = %q, want an error", p, h)
		}
	}
	if err := Current.check(); err != nil {
		t.Errorf("Current out of bounds: %v", err)
	}
}

// call records one key derivation.
type call struct {
	time, memory    uint32
	threads         uint8
	keyLen, saltLen uint32
}

// recordKeys makes idKey record its calls (still deriving the key) until the
// test ends.
func recordKeys(t *testing.T) *[]call {
	var calls []call
	real := idKey
	idKey = func(pw, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		calls = append(calls, call{time, memory, threads, keyLen, uint32(len(salt))})
		return real(pw, salt, time, memory, threads, keyLen)
	}
	t.Cleanup(func() { idKey = real })
	return &calls
}

// TestVerifyDummyDoesTheSameWork checks that VerifyDummy derives a key with
// exactly the parameters, salt length and key length of a Verify against a
// current hash, so an unknown login costs what a wrong password costs.
func TestVerifyDummyDoesTheSameWork(t *testing.T) {
	h, err := Hash("Gravel-Truck-42x")
	if err != nil {
		t.Fatal(err)
	}
	calls := recordKeys(t)

	if ok, err := Verify(h, "Wrong-Password-1"); ok || err != nil {
		t.Fatalf("Verify(wrong) = %v, %v", ok, err)
	}
	VerifyDummy("Wrong-Password-1")
	VerifyDummy("Gravel-Truck-42x")

	if len(*calls) != 3 {
		t.Fatalf("%d key derivations, want 3 (one per call)", len(*calls))
	}
	want := call{Current.Time, Current.Memory, Current.Threads, Current.KeyLen, Current.SaltLen}
	for i, c := range *calls {
		if c != want {
			t.Errorf("derivation %d = %+v, want %+v", i, c, want)
		}
	}
}

func TestVerifyDummyFollowsCurrent(t *testing.T) {
	saved := Current
	t.Cleanup(func() { Current = saved })
	Current = fast

	calls := recordKeys(t)
	VerifyDummy("x")
	want := call{fast.Time, fast.Memory, fast.Threads, fast.KeyLen, fast.SaltLen}
	if len(*calls) != 1 || (*calls)[0] != want {
		t.Errorf("derivations = %+v, want [%+v]", *calls, want)
	}
}

func TestEncodeDecode(t *testing.T) {
	p := Params{Memory: 65536, Time: 3, Threads: 4, SaltLen: 16, KeyLen: 32}
	salt, key := make([]byte, 16), make([]byte, 32)
	for i := range key {
		key[i] = byte(i * 7)
	}
	enc := encode(p, salt, key)
	want := "$argon2id$v=19$m=65536,t=3,p=4$AAAAAAAAAAAAAAAAAAAAAA$AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tk"
	if enc != want {
		t.Fatalf("encode = %q\n  want %q", enc, want)
	}
	gp, gs, gk, err := decode(enc)
	if err != nil {
		t.Fatal(err)
	}
	if gp != p || string(gs) != string(salt) || string(gk) != string(key) {
		t.Errorf("decode = %+v %x %x", gp, gs, gk)
	}
}
