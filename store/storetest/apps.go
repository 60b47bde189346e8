package storetest

import (
	"bytes"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"crewid"
	"crewid/store"
)

// checkSecrets compares secrets ignoring their ids, which must be set,
// distinct and belong to app.
func checkSecrets(t *testing.T, what string, appID int64, want, got []crewid.AppSecret) {
	t.Helper()
	ids := map[int64]bool{}
	for _, sec := range got {
		if sec.ID == 0 || ids[sec.ID] {
			t.Errorf("%s: secret id %d is zero or repeated", what, sec.ID)
		}
		ids[sec.ID] = true
		if sec.AppID != appID {
			t.Errorf("%s: secret %d has AppID %d, want %d", what, sec.ID, sec.AppID, appID)
		}
	}
	w := make([]crewid.AppSecret, len(want))
	for i, sec := range want {
		w[i] = crewid.AppSecret{AppID: appID, Hash: sec.Hash, CreatedOn: sec.CreatedOn.UTC()}
	}
	g := append([]crewid.AppSecret(nil), got...)
	byHash := func(xs []crewid.AppSecret) {
		sort.Slice(xs, func(i, j int) bool { return bytes.Compare(xs[i].Hash, xs[j].Hash) < 0 })
	}
	byHash(w)
	byHash(g)
	check(t, what+" (sorted by hash)", w, g, cmpopts.IgnoreFields(crewid.AppSecret{}, "ID"))
}

func testApps(t *testing.T, s store.Store) {
	c := ctx(t)
	a := newTenant(t, s, "Acme")
	b := newTenant(t, s, "Bolt")

	app := newApp(a.ID, "Dispatch Sync")
	app.Scopes = []string{"tn.settings:r", "tn.settings:w", "tn.dispatch:r"}
	app.CreatedOn, app.ModifiedOn = fine(time.Hour), fine(time.Hour)
	secrets := []crewid.AppSecret{
		{Hash: []byte{0x00, 0x01, 0xfe, 0xff, 'a'}, CreatedOn: fine(time.Hour)},
		{Hash: []byte("second-secret-hash\x00\x80"), CreatedOn: fine(2 * time.Hour)},
	}
	app.Secrets = append([]crewid.AppSecret(nil), secrets...)
	update(t, s, func(tx store.Tx) error { return tx.CreateApp(c, &app) })
	if app.ID == 0 {
		t.Fatal("CreateApp did not set the id")
	}
	want := app
	want.Secrets = nil
	want.CreatedOn, want.ModifiedOn = app.CreatedOn.UTC(), app.ModifiedOn.UTC()
	noSecrets := cmpopts.IgnoreFields(crewid.App{}, "Secrets")

	got, err := s.App(c, a.ID, app.ID)
	must(t, "App", err)
	check(t, "App after create", want, got, noSecrets)
	checkSecrets(t, "App secrets after create", app.ID, secrets, got.Secrets)

	byClient, err := s.AppByClientID(c, app.ClientID)
	must(t, "AppByClientID", err)
	check(t, "AppByClientID", want, byClient, noSecrets)
	checkSecrets(t, "AppByClientID secrets", app.ID, secrets, byClient.Secrets)
	_, err = s.AppByClientID(c, "no-such-client")
	wantNotFound(t, "AppByClientID(unknown)", err)

	page, err := s.Apps(c, a.ID, store.ListQuery{})
	must(t, "Apps", err)
	checkIDs(t, "Apps", []int64{app.ID}, pageIDs(page.Items, func(x crewid.App) int64 { return x.ID }))

	// UpdateApp replaces name, scopes and the active flag.
	u := got
	u.Name, u.Scopes, u.Active = "Dispatch Sync v2", []string{"tn.settings:r"}, false
	u.ModifiedOn = fine(3 * time.Hour).UTC()
	update(t, s, func(tx store.Tx) error { return tx.UpdateApp(c, &u) })
	got, err = s.App(c, a.ID, app.ID)
	must(t, "App", err)
	check(t, "App after UpdateApp", u, got, noSecrets, cmpopts.IgnoreFields(crewid.App{}, "ModifiedOn"))
	checkSecrets(t, "App secrets after UpdateApp", app.ID, secrets, got.Secrets)
	ghost := u
	ghost.ID = missingID
	wantNotFound(t, "UpdateApp(unknown)", s.Update(c, func(tx store.Tx) error { return tx.UpdateApp(c, &ghost) }))

	// Rotate: delete the first secret, add a third.
	first := got.Secrets[0]
	for _, sec := range got.Secrets {
		if bytes.Equal(sec.Hash, secrets[0].Hash) {
			first = sec
		}
	}
	update(t, s, func(tx store.Tx) error { return tx.DeleteAppSecret(c, app.ID, first.ID) })
	added := crewid.AppSecret{AppID: app.ID, Hash: []byte("third"), CreatedOn: fine(4 * time.Hour)}
	update(t, s, func(tx store.Tx) error { return tx.AddAppSecret(c, &added) })
	if added.ID == 0 {
		t.Errorf("AddAppSecret did not set the id")
	}
	got, err = s.AppByClientID(c, app.ClientID)
	must(t, "AppByClientID", err)
	checkSecrets(t, "secrets after rotation", app.ID, []crewid.AppSecret{secrets[1], added}, got.Secrets)
	for _, sec := range got.Secrets {
		if sec.ID == first.ID {
			t.Errorf("deleted secret %d still listed", first.ID)
		}
	}
	wantNotFound(t, "DeleteAppSecret of a deleted secret", s.Update(c, func(tx store.Tx) error { return tx.DeleteAppSecret(c, app.ID, first.ID) }))

	orphan := crewid.AppSecret{AppID: missingID, Hash: []byte("orphan"), CreatedOn: at(0)}
	wantNotFound(t, "AddAppSecret to an unknown app", s.Update(c, func(tx store.Tx) error { return tx.AddAppSecret(c, &orphan) }))

	// A secret is deleted only through its own app.
	bApp := createApp(t, s, b.ID, "Bolt Sync")
	wantNotFound(t, "DeleteAppSecret through another app", s.Update(c, func(tx store.Tx) error { return tx.DeleteAppSecret(c, bApp.ID, added.ID) }))
	got, err = s.App(c, a.ID, app.ID)
	must(t, "App", err)
	checkSecrets(t, "secrets after a refused delete", app.ID, []crewid.AppSecret{secrets[1], added}, got.Secrets)

	// AppByClientID finds apps of any tenant, with their tenant.
	found, err := s.AppByClientID(c, bApp.ClientID)
	must(t, "AppByClientID(B's app)", err)
	if found.ID != bApp.ID || found.TenantID != b.ID {
		t.Errorf("AppByClientID(B's app) = app %d of tenant %d, want %d of tenant %d", found.ID, found.TenantID, bApp.ID, b.ID)
	}

	// Client ids and app keys are unique across tenants.
	dup := newApp(b.ID, "Copy")
	dup.ClientID = app.ClientID
	wantConflict(t, "CreateApp with a taken client id (other tenant)", s.Update(c, func(tx store.Tx) error { return tx.CreateApp(c, &dup) }), "clientId")
	dup = newApp(a.ID, "Copy")
	dup.AppKey = app.AppKey
	wantConflict(t, "CreateApp with a taken app key", s.Update(c, func(tx store.Tx) error { return tx.CreateApp(c, &dup) }), "appKey")
}

func testSigningKeys(t *testing.T, s store.Store) {
	c := ctx(t)
	// Signing keys belong to no tenant; a tenant id makes this test's key ids
	// unique in a store shared with other tests.
	tn := newTenant(t, s, "Keys")
	prefix := fmt.Sprintf("kid-%d-", tn.ID)
	ours := func() []crewid.SigningKey {
		t.Helper()
		keys, err := s.SigningKeys(c)
		must(t, "SigningKeys", err)
		var out []crewid.SigningKey
		for i, k := range keys {
			if i > 0 && k.CreatedOn.Before(keys[i-1].CreatedOn) {
				t.Errorf("SigningKeys not oldest first: %s (%v) after %s (%v)", k.ID, k.CreatedOn, keys[i-1].ID, keys[i-1].CreatedOn)
			}
			if strings.HasPrefix(k.ID, prefix) {
				out = append(out, k)
			}
		}
		return out
	}
	if keys := ours(); len(keys) != 0 {
		t.Errorf("SigningKeys before any was added: %d of this test's keys, want none", len(keys))
	}
	// Ids deliberately out of alphabetical order: keys list oldest first.
	var want []crewid.SigningKey
	for i, suffix := range []string{"z", "a", "m"} {
		k := crewid.SigningKey{ID: prefix + suffix, Algorithm: "ES256",
			PrivateKeyPEM: fmt.Appendf(nil, "-----BEGIN PRIVATE KEY-----\nkey %d\x00\xff\n-----END PRIVATE KEY-----\n", i),
			CreatedOn:     fine(time.Duration(i) * time.Hour)}
		update(t, s, func(tx store.Tx) error { return tx.AddSigningKey(c, k) })
		k.CreatedOn = k.CreatedOn.UTC()
		want = append(want, k)
	}
	check(t, "SigningKeys (oldest first)", want, ours())

	again := crewid.SigningKey{ID: prefix + "a", Algorithm: "RS256", PrivateKeyPEM: []byte("other"), CreatedOn: at(9 * time.Hour)}
	wantConflict(t, "AddSigningKey with a taken id", s.Update(c, func(tx store.Tx) error { return tx.AddSigningKey(c, again) }), "")
	check(t, "SigningKeys after a refused duplicate", want, ours())
}
