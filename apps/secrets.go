package apps

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
)

// Credential prefixes. They make a leaked value recognisable (secret
// scanners, logs) and carry a version so the format can change later.
const (
	appKeyPrefix       = "ak1."
	clientIDPrefix     = "cid."
	clientSecretPrefix = "cs1."
)

// randomString returns n bytes from crypto/rand, base64url without padding.
// crypto/rand.Read never fails (it aborts the program if the system's
// generator is broken).
func randomString(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func newAppKey() string       { return appKeyPrefix + randomString(32) }
func newClientID() string     { return clientIDPrefix + randomString(16) }
func newClientSecret() string { return clientSecretPrefix + randomString(32) }
func newTokenID() string      { return randomString(16) }

// hashSecret is how a client secret is stored. A plain SHA-256 is the right
// tool here, not a slow password hash: the secret is 256 bits from
// crypto/rand, so there is nothing to brute-force or look up in a
// dictionary, and a slow hash would only make the token endpoint (which
// checks the secret on every call) slow.
func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// dummyHash is compared against when the client id is unknown, so that an
// unknown client and a wrong secret take the same work.
var dummyHash = hashSecret("cs1.this-is-not-a-secret-of-any-application")

// matchSecret returns the index of the hash secret hashes to, or -1. It
// compares in constant time and looks at every hash whatever the outcome.
func matchSecret(secret string, hashes [][]byte) int {
	h := hashSecret(secret)
	found := -1
	for i, want := range hashes {
		if subtle.ConstantTimeCompare(h, want) == 1 {
			found = i
		}
	}
	return found
}
