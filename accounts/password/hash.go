package password

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Params are the argon2id cost parameters of a hash.
type Params struct {
	// Memory is the memory cost in KiB.
	Memory uint32
	// Time is the number of passes over the memory.
	Time uint32
	// Threads is the degree of parallelism (lanes).
	Threads uint8
	// SaltLen is the salt length in bytes.
	SaltLen uint32
	// KeyLen is the length of the derived key in bytes.
	KeyLen uint32
}

// Current are the parameters new hashes are made with: 19 MiB of memory, two
// passes, one lane, a 16-byte salt and a 32-byte key. Hashes made with lower
// parameters still verify, and NeedsRehash tells when to replace them.
//
// Production code must not change Current. Tests of other packages may lower
// it (in TestMain, before any goroutine runs) to keep them fast.
var Current = Params{Memory: 19456, Time: 2, Threads: 1, SaltLen: 16, KeyLen: 32}

// Bounds on parameters, for making and for verifying hashes. The upper bounds
// keep a tampered or corrupt stored hash from making Verify allocate or run
// without limit; they leave room for Current to rise several times over.
const (
	minMemory  = 8 * 1024   // KiB
	maxMemory  = 256 * 1024 // KiB
	minTime    = 1
	maxTime    = 10
	minThreads = 1
	maxThreads = 16
	minSaltLen = 8
	maxSaltLen = 64
	minKeyLen  = 16
	maxKeyLen  = 64

	// maxEncodedLen is longer than any string the bounds above allow.
	maxEncodedLen = 256
)

// ErrMalformedHash is wrapped by the errors Verify returns for a stored hash
// that cannot be read or whose parameters are out of bounds.
var ErrMalformedHash = errors.New("password: malformed or unsupported hash")

// prefix starts every hash: the variant and the version (argon2.Version,
// 0x13).
const prefix = "$argon2id$v=19$"

// check reports whether p is within the bounds this package accepts.
func (p Params) check() error {
	switch {
	case p.Memory < minMemory || p.Memory > maxMemory:
		return fmt.Errorf("memory %d KiB outside %d..%d", p.Memory, minMemory, maxMemory)
	case p.Time < minTime || p.Time > maxTime:
		return fmt.Errorf("time %d outside %d..%d", p.Time, minTime, maxTime)
	case p.Threads < minThreads || p.Threads > maxThreads:
		return fmt.Errorf("threads %d outside %d..%d", p.Threads, minThreads, maxThreads)
	case p.Memory < 8*uint32(p.Threads):
		return fmt.Errorf("memory %d KiB below 8 KiB per thread", p.Memory)
	case p.SaltLen < minSaltLen || p.SaltLen > maxSaltLen:
		return fmt.Errorf("salt length %d outside %d..%d", p.SaltLen, minSaltLen, maxSaltLen)
	case p.KeyLen < minKeyLen || p.KeyLen > maxKeyLen:
		return fmt.Errorf("key length %d outside %d..%d", p.KeyLen, minKeyLen, maxKeyLen)
	}
	return nil
}

// idKey derives the key; a variable so tests can watch what is hashed.
var idKey = argon2.IDKey

// Hash hashes pw with the Current parameters and a fresh random salt and
// returns the PHC string
//
//	$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>
//
// with salt and hash in unpadded standard base64. It does not check pw
// against the policy; call Check first.
func Hash(pw string) (string, error) {
	return Current.Hash(pw)
}

// Hash hashes pw with the parameters p and a fresh random salt.
func (p Params) Hash(pw string) (string, error) {
	if err := p.check(); err != nil {
		return "", fmt.Errorf("password: bad parameters: %w", err)
	}
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password: reading random salt: %w", err)
	}
	key := idKey([]byte(normalize(pw)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return encode(p, salt, key), nil
}

// Verify reports whether pw is the password encoded hashes. It reads the
// parameters from encoded, so hashes made with older parameters still verify,
// and compares in constant time. A malformed encoded string, or one whose
// parameters are out of bounds, gives an error wrapping ErrMalformedHash.
func Verify(encoded, pw string) (ok bool, err error) {
	p, salt, want, err := decode(encoded)
	if err != nil {
		return false, err
	}
	got := idKey([]byte(normalize(pw)), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}

// NeedsRehash reports whether encoded should be replaced by a fresh Hash the
// next time the password is known: when any of its parameters is below
// Current, or when it cannot be read at all.
func NeedsRehash(encoded string) bool {
	p, _, _, err := decode(encoded)
	if err != nil {
		return true
	}
	c := Current
	return p.Memory < c.Memory || p.Time < c.Time || p.Threads < c.Threads ||
		p.SaltLen < c.SaltLen || p.KeyLen < c.KeyLen
}

var (
	dummyOnce sync.Once
	dummySalt [maxSaltLen]byte
	dummyKey  [maxKeyLen]byte
)

// VerifyDummy does the work of a Verify against a hash with the Current
// parameters and throws the result away. Call it when the login is unknown
// (or the account has no password) so that answering takes as long as for a
// known login with a wrong password.
func VerifyDummy(pw string) {
	dummyOnce.Do(func() {
		_, _ = rand.Read(dummySalt[:])
		_, _ = rand.Read(dummyKey[:])
	})
	p := Current
	encoded := encode(p, dummySalt[:p.SaltLen], dummyKey[:p.KeyLen])
	_, _ = Verify(encoded, pw)
}

var b64 = base64.RawStdEncoding.Strict()

// encode writes the PHC string of a hash.
func encode(p Params, salt, key []byte) string {
	var b strings.Builder
	b.Grow(len(prefix) + 32 + b64.EncodedLen(len(salt)) + b64.EncodedLen(len(key)))
	b.WriteString(prefix)
	b.WriteString("m=")
	b.WriteString(strconv.FormatUint(uint64(p.Memory), 10))
	b.WriteString(",t=")
	b.WriteString(strconv.FormatUint(uint64(p.Time), 10))
	b.WriteString(",p=")
	b.WriteString(strconv.FormatUint(uint64(p.Threads), 10))
	b.WriteByte('$')
	b.WriteString(b64.EncodeToString(salt))
	b.WriteByte('$')
	b.WriteString(b64.EncodeToString(key))
	return b.String()
}

// decode reads a PHC string as encode writes it, and nothing else: the
// argon2id variant, version 19, parameters m, t and p in that order as
// decimal numbers without leading zeros, and canonical unpadded base64.
func decode(encoded string) (p Params, salt, key []byte, err error) {
	malformed := func(what string) (Params, []byte, []byte, error) {
		return Params{}, nil, nil, fmt.Errorf("%w: %s", ErrMalformedHash, what)
	}
	if len(encoded) > maxEncodedLen {
		return malformed("too long")
	}
	rest, ok := strings.CutPrefix(encoded, prefix)
	if !ok {
		if strings.HasPrefix(encoded, "$argon2id$") {
			return malformed("unsupported version")
		}
		return malformed("not an argon2id hash")
	}
	fields := strings.Split(rest, "$")
	if len(fields) != 3 {
		return malformed("wrong number of fields")
	}
	params := strings.Split(fields[0], ",")
	if len(params) != 3 {
		return malformed("wrong number of parameters")
	}
	var vals [3]uint32
	for i, name := range [...]string{"m=", "t=", "p="} {
		digits, ok := strings.CutPrefix(params[i], name)
		if !ok {
			return malformed("parameters not m, t, p")
		}
		v, ok := parseDecimal(digits)
		if !ok {
			return malformed("bad parameter " + name[:1])
		}
		vals[i] = v
	}
	if vals[2] > maxThreads {
		return malformed("parameter p out of bounds")
	}
	p = Params{Memory: vals[0], Time: vals[1], Threads: uint8(vals[2])}

	if salt, err = b64.DecodeString(fields[1]); err != nil {
		return malformed("bad salt encoding")
	}
	if key, err = b64.DecodeString(fields[2]); err != nil {
		return malformed("bad hash encoding")
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	if err := p.check(); err != nil {
		return malformed(err.Error())
	}
	return p, salt, key, nil
}

// parseDecimal parses a decimal number of at most nine digits with no sign
// and no leading zero.
func parseDecimal(s string) (uint32, bool) {
	if len(s) == 0 || len(s) > 9 || (s[0] == '0' && len(s) > 1) {
		return 0, false
	}
	var v uint32
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + uint32(c-'0')
	}
	return v, true
}
