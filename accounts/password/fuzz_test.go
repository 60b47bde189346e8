package password

import (
	"errors"
	"testing"
)

// FuzzVerify feeds Verify and NeedsRehash arbitrary stored strings and
// passwords. They must never panic; Verify must fail with ErrMalformedHash
// or read the string exactly as encode would have written it.
//
// The seed corpus is in testdata/fuzz/FuzzVerify; run the fuzzer with
//
//	go test -run '^$' -fuzz FuzzVerify ./accounts/password/
func FuzzVerify(f *testing.F) {
	f.Fuzz(func(t *testing.T, encoded, pw string) {
		ok, err := Verify(encoded, pw)
		rehash := NeedsRehash(encoded)
		if err != nil {
			if ok {
				t.Fatalf("Verify = true with error %v", err)
			}
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("error %v does not wrap ErrMalformedHash", err)
			}
			if !rehash {
				t.Fatal("NeedsRehash = false for an unreadable hash")
			}
			return
		}
		p, salt, key, err := decode(encoded)
		if err != nil {
			t.Fatalf("Verify accepted what decode refuses: %v", err)
		}
		if got := encode(p, salt, key); got != encoded {
			t.Fatalf("accepted a non-canonical hash\n read %q\nwrite %q", encoded, got)
		}
	})
}
