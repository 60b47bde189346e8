package apps

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"

	"crewid"
	"crewid/store"
)

// Algorithm is the only signature algorithm crewid signs and accepts.
// ES256 (ECDSA on P-256) is verified by every JOSE library and signs about
// twenty times faster than RS256, which is what lets the token endpoint keep
// up with thousands of tokens a second on two cores.
const Algorithm = jose.ES256

const (
	// keysRefreshInterval is how often the key set is read again from the
	// store, so that a key added by another node is used here too.
	keysRefreshInterval = time.Minute
	// unknownKIDGap limits the reloads a token with an unknown "kid" can
	// cause: at most one per gap, whatever the number of such tokens.
	unknownKIDGap = 5 * time.Second
)

// Keys is the set of signing keys, shared by every node through the store.
// It is safe for concurrent use. Parsed keys are kept in memory; the set is
// read from the store again every minute, and sooner (at most every few
// seconds) when a token names a key this node has not seen.
type Keys struct {
	store store.Store
	now   func() time.Time

	mu  sync.Mutex // serialises loads and key generation
	set atomic.Pointer[keySet]
}

type keySet struct {
	byID     map[string]*Signer
	current  *Signer // newest key
	jwks     jose.JSONWebKeySet
	loadedAt time.Time
}

// Signer signs tokens with one key of the set.
type Signer struct {
	kid     string
	created time.Time
	public  *ecdsa.PublicKey
	signer  jose.Signer
}

// KeyID is the key's "kid".
func (s *Signer) KeyID() string { return s.kid }

// Sign returns the claims as a compact JWT signed with ES256, with the key
// id in the "kid" header.
func (s *Signer) Sign(claims any) (string, error) {
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	jws, err := s.signer.Sign(payload)
	if err != nil {
		return "", err
	}
	return jws.CompactSerialize()
}

// NewKeys makes the key set over st. now is the clock (nil: time.Now).
func NewKeys(st store.Store, now func() time.Time) *Keys {
	if now == nil {
		now = time.Now
	}
	return &Keys{store: st, now: now}
}

// Current returns the key to sign with: the newest key in the store. When
// the store holds none it makes one, and if another node made one at the
// same moment it uses whichever the store kept.
func (k *Keys) Current(ctx context.Context) (*Signer, error) {
	set, err := k.fresh(ctx)
	if err != nil {
		return nil, err
	}
	if set.current != nil {
		return set.current, nil
	}
	return k.generate(ctx)
}

// JWKS returns the public keys of the set, newest first, for
// /.well-known/jwks.json.
func (k *Keys) JWKS(ctx context.Context) (jose.JSONWebKeySet, error) {
	if _, err := k.Current(ctx); err != nil {
		return jose.JSONWebKeySet{}, err
	}
	return k.set.Load().jwks, nil
}

// Verify checks the signature of a compact JWT (ES256 only, key chosen by
// its "kid") and decodes its payload into each of dest. It checks no
// claims: that is the caller's job.
func (k *Keys) Verify(ctx context.Context, raw string, dest ...any) error {
	tok, err := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{Algorithm})
	if err != nil {
		return errMalformed
	}
	if len(tok.Signatures) != 1 {
		return errMalformed
	}
	kid := tok.Signatures[0].Header.KeyID
	if kid == "" {
		return crewid.Errorf(crewid.Unauthenticated, "The access token names no signing key (kid).")
	}
	key, err := k.lookup(ctx, kid)
	if err != nil {
		return err
	}
	if key == nil {
		return crewid.Errorf(crewid.Unauthenticated, "The access token was signed with an unknown key.")
	}
	payload, err := tok.Verify(key.public)
	if err != nil {
		return crewid.Errorf(crewid.Unauthenticated, "The access token's signature is not valid.")
	}
	for _, d := range dest {
		if err := json.Unmarshal(payload, d); err != nil {
			return errMalformed
		}
	}
	return nil
}

var errMalformed = crewid.Errorf(crewid.Unauthenticated, "The access token is malformed.")

// fresh returns the key set, loading it on first use and reloading it when
// it is older than the refresh interval. A failed reload keeps the old set.
func (k *Keys) fresh(ctx context.Context) (*keySet, error) {
	set := k.set.Load()
	if set != nil && k.now().Sub(set.loadedAt) < keysRefreshInterval {
		return set, nil
	}
	if set == nil {
		k.mu.Lock()
		defer k.mu.Unlock()
		if set = k.set.Load(); set != nil {
			return set, nil
		}
		return k.loadLocked(ctx)
	}
	// Stale: one caller reloads, the others go on with the set they have.
	if !k.mu.TryLock() {
		return set, nil
	}
	defer k.mu.Unlock()
	if cur := k.set.Load(); cur != set {
		return cur, nil
	}
	if fresh, err := k.loadLocked(ctx); err == nil {
		return fresh, nil
	}
	return set, nil
}

// lookup finds a key by id, reloading the set (rate-limited) when the id is
// unknown: another node may have made the key since the last load.
func (k *Keys) lookup(ctx context.Context, kid string) (*Signer, error) {
	set, err := k.fresh(ctx)
	if err != nil {
		return nil, err
	}
	if key := set.byID[kid]; key != nil {
		return key, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	set = k.set.Load()
	if key := set.byID[kid]; key != nil {
		return key, nil
	}
	if k.now().Sub(set.loadedAt) < unknownKIDGap {
		return nil, nil
	}
	set, err = k.loadLocked(ctx)
	if err != nil {
		return nil, err
	}
	return set.byID[kid], nil
}

// loadLocked reads the keys from the store, reusing the keys already parsed.
// k.mu must be held.
func (k *Keys) loadLocked(ctx context.Context) (*keySet, error) {
	rows, err := k.store.SigningKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("load signing keys: %w", err)
	}
	prev := k.set.Load()
	set := &keySet{byID: make(map[string]*Signer, len(rows)), loadedAt: k.now()}
	var errs []error
	for _, row := range rows {
		if row.Algorithm != string(Algorithm) {
			continue
		}
		var key *Signer
		if prev != nil {
			key = prev.byID[row.ID]
		}
		if key == nil {
			key, err = parseKey(row)
			if err != nil {
				slog.WarnContext(ctx, "unusable signing key skipped", "kid", row.ID, "err", err)
				errs = append(errs, err)
				continue
			}
		}
		set.byID[key.kid] = key
		if c := set.current; c == nil || key.created.After(c.created) ||
			(key.created.Equal(c.created) && key.kid > c.kid) {
			set.current = key
		}
	}
	if set.current == nil && len(errs) > 0 {
		// Keys exist but none is usable: refuse rather than add another.
		return nil, errors.Join(errs...)
	}
	keys := make([]*Signer, 0, len(set.byID))
	for _, key := range set.byID {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b *Signer) int { return b.created.Compare(a.created) })
	set.jwks.Keys = make([]jose.JSONWebKey, len(keys))
	for i, key := range keys {
		set.jwks.Keys[i] = jose.JSONWebKey{Key: key.public, KeyID: key.kid, Algorithm: string(Algorithm), Use: "sig"}
	}
	k.set.Store(set)
	return set, nil
}

func parseKey(row crewid.SigningKey) (*Signer, error) {
	block, _ := pem.Decode(row.PrivateKeyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("signing key %s: not a PKCS#8 PEM block", row.ID)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", row.ID, err)
	}
	priv, ok := parsed.(*ecdsa.PrivateKey)
	if !ok || priv.Curve != elliptic.P256() {
		return nil, fmt.Errorf("signing key %s: not an ECDSA P-256 key", row.ID)
	}
	return newSigner(row.ID, row.CreatedOn, priv)
}

func newSigner(kid string, created time.Time, priv *ecdsa.PrivateKey) (*Signer, error) {
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: Algorithm, Key: jose.JSONWebKey{Key: priv, KeyID: kid}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		return nil, fmt.Errorf("signing key %s: %w", kid, err)
	}
	return &Signer{kid: kid, created: created, public: &priv.PublicKey, signer: signer}, nil
}

// generate makes the first signing key. Inside the transaction it looks
// again for a key, so that on one database only one node adds it; should two
// still race (an id clash is a Conflict), the loser reloads and uses the
// winner's key. Either way every key in the store is published and verifies.
func (k *Keys) generate(ctx context.Context) (*Signer, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	set, err := k.loadLocked(ctx)
	if err != nil {
		return nil, err
	}
	if set.current != nil {
		return set.current, nil
	}
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, fmt.Errorf("encode signing key: %w", err)
	}
	pub := jose.JSONWebKey{Key: &priv.PublicKey}
	thumb, err := pub.Thumbprint(crypto.SHA256)
	if err != nil {
		return nil, fmt.Errorf("signing key thumbprint: %w", err)
	}
	row := crewid.SigningKey{
		ID:            base64.RawURLEncoding.EncodeToString(thumb),
		Algorithm:     string(Algorithm),
		PrivateKeyPEM: pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}),
		CreatedOn:     k.now().UTC(),
	}
	err = k.store.Update(ctx, func(tx store.Tx) error {
		if err := tx.LockSigningKeys(ctx); err != nil {
			return err
		}
		rows, err := tx.SigningKeys(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.Algorithm == string(Algorithm) {
				return nil // another node was first
			}
		}
		return tx.AddSigningKey(ctx, row)
	})
	if err != nil && crewid.CodeOf(err) != crewid.Conflict {
		return nil, fmt.Errorf("store signing key: %w", err)
	}
	set, err = k.loadLocked(ctx)
	if err != nil {
		return nil, err
	}
	if set.current == nil {
		return nil, errors.New("no signing key after generating one")
	}
	return set.current, nil
}
