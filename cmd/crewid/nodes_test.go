package main

// Several "crewid serve" processes on one PostgreSQL database.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// jwks is the part of /.well-known/jwks.json these tests look at.
type jwks struct {
	Keys []struct {
		KID string `json:"kid"`
		Alg string `json:"alg"`
	} `json:"keys"`
}

func getJWKS(t *testing.T, base string) jwks {
	t.Helper()
	var set jwks
	mustAPI(t, 200, "GET", base+"/.well-known/jwks.json", "", "", nil).json(t, &set)
	return set
}

// jwtKID returns the "kid" of a JWT's header.
func jwtKID(t *testing.T, raw string) string {
	t.Helper()
	kid, _ := jwtHeader(t, raw)["kid"].(string)
	return kid
}

// tokensAtOnce asks each node for perNode tokens, all requests released at
// the same moment. It may run before any signing key exists, so that the
// nodes race to make the first one.
func tokensAtOnce(t *testing.T, nodes []*node, c credentials, perNode int) map[*node][]string {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {c.ClientSecret}}.Encode()
	type got struct {
		n     *node
		token string
		err   error
	}
	results := make(chan got, len(nodes)*perNode)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for _, n := range nodes {
		for range perNode {
			wg.Go(func() {
				<-release
				resp, err := httpClient.Post(n.base+"/connect/token", "application/x-www-form-urlencoded", strings.NewReader(form))
				if err != nil {
					results <- got{n: n, err: err}
					return
				}
				defer resp.Body.Close()
				var tok tokenResponse
				err = json.NewDecoder(resp.Body).Decode(&tok)
				if err == nil && (resp.StatusCode != http.StatusOK || tok.AccessToken == "") {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
				results <- got{n: n, token: tok.AccessToken, err: err}
			})
		}
	}
	close(release)
	wg.Wait()
	close(results)
	out := map[*node][]string{}
	for r := range results {
		if r.err != nil {
			t.Fatalf("token from %s: %v", r.n.name, r.err)
		}
		out[r.n] = append(out[r.n], r.token)
	}
	return out
}

// startPair starts nodes A (configured by flags) and B (by the
// environment) at the same moment on db, and waits for both.
func startPair(t *testing.T, dir, db, public string) (a, b *node) {
	t.Helper()
	addrA, addrB := freeAddr(t), freeAddr(t)
	a = launch(t, "node A", dir, addrA, nil, "serve", "--database", db, "--addr", addrA, "--public-url", public)
	b = launch(t, "node B", dir, addrB, []string{"CREWID_DATABASE_URL=" + db, "CREWID_ADDR=" + addrB, "CREWID_PUBLIC_URL=" + public})
	a.waitHealthy()
	b.waitHealthy()
	for _, n := range []*node{a, b} {
		if strings.Contains(n.stderr.String(), "level=ERROR") || n.stdout.String() != "" {
			t.Errorf("%s on PostgreSQL:\nstdout:\n%s\nstderr:\n%s", n.name, n.stdout.String(), n.stderr.String())
		}
	}
	return a, b
}

// Behind one load balancer the nodes share the public URL, which is the
// tokens' issuer.
const clusterURL = "http://crewid.cluster.test"

// TestNodesStartTogether starts two nodes at the same moment on an empty
// database: both migrate it, and their first tokens, asked at the same
// moment too, make exactly one signing key that both use.
func TestNodesStartTogether(t *testing.T) {
	t.Parallel()
	db := pgDatabase(t) // empty: the nodes migrate it
	dir := t.TempDir()
	a, b := startPair(t, dir, db, clusterURL)
	if got, want := pgQueryInt(t, db, "SELECT COUNT(*) FROM schema_migrations"), migrationCount(t); got != want {
		t.Errorf("schema_migrations has %d rows, want %d", got, want)
	}
	// On PostgreSQL a sign-in gives its hash slot back after the hash, and
	// the process has a scheduler thread more than slots (hashScheduling).
	for _, n := range []*node{a, b} {
		log := n.stderr.String()
		slots, procs := logInt(t, log, "hash_slots"), logInt(t, log, "gomaxprocs")
		if !strings.Contains(log, `hash_slot_release="after hash"`) || procs != slots+1 {
			t.Errorf("%s on PostgreSQL: want the slot released after the hash and gomaxprocs = hash_slots+1:\n%s", n.name, log)
		}
	}

	ten := tenantCreateCmd(t, dir, db, "--name", "Keystone Mechanical", "--admin-login", "kadmin",
		"--admin-email", "admin@keystone-mech.example", "--admin-password", "Chiller-Loop-11")
	app := appCreateCmd(t, dir, db, ten.TenantID)

	if n := pgQueryInt(t, db, "SELECT COUNT(*) FROM signing_keys"); n != 0 {
		t.Fatalf("signing_keys has %d rows before the first token", n)
	}
	tokens := tokensAtOnce(t, []*node{a, b}, app, 4)
	if n := pgQueryInt(t, db, "SELECT COUNT(*) FROM signing_keys"); n != 1 {
		t.Errorf("signing_keys has %d rows after both nodes' first tokens, want 1", n)
	}
	setA, setB := getJWKS(t, a.base), getJWKS(t, b.base)
	if len(setA.Keys) != 1 || len(setB.Keys) != 1 || setA.Keys[0].KID != setB.Keys[0].KID {
		t.Errorf("JWKS of A %+v and of B %+v, want the same single key", setA, setB)
	}
	kids := map[string]bool{}
	for _, list := range tokens {
		for _, tok := range list {
			kids[jwtKID(t, tok)] = true
		}
	}
	if len(kids) != 1 {
		t.Errorf("the nodes signed with %d different keys: %v", len(kids), kids)
	}

	// Every token works on the other node, right away.
	employees := fmt.Sprintf("/settings/v2/tenant/%d/employees", ten.TenantID)
	for from, to := range map[*node]*node{a: b, b: a} {
		for i, tok := range tokens[from] {
			if resp := api(t, "GET", to.base+employees, tok, app.AppKey, nil); resp.status != 200 {
				t.Errorf("token %d of %s on %s: %d %s", i+1, from.name, to.name, resp.status, resp.body)
			}
		}
	}
	for _, n := range []*node{a, b} {
		if code := n.stop(); code != 0 {
			t.Errorf("%s: exit code after SIGTERM = %d, want 0\nstderr:\n%s", n.name, code, n.stderr.String())
		}
	}
}

// TestNodesShareOneDatabase runs two nodes on a database migrated
// beforehand: tokens, people and the environment are the same service's.
func TestNodesShareOneDatabase(t *testing.T) {
	t.Parallel()
	db := pgDatabase(t)
	dir := t.TempDir()
	mustCLI(t, dir, nil, "migrate", "--database", db)
	a, b := startPair(t, dir, db, clusterURL)

	ten := tenantCreateCmd(t, dir, db, "--name", "Keystone Mechanical", "--admin-login", "kadmin",
		"--admin-email", "admin@keystone-mech.example", "--admin-password", "Chiller-Loop-11")
	app := appCreateCmd(t, dir, db, ten.TenantID)
	employees := fmt.Sprintf("/settings/v2/tenant/%d/employees", ten.TenantID)

	// A token of A works on B and the other way round.
	tokA := token(t, a.base, app).AccessToken
	tokB := token(t, b.base, app).AccessToken
	mustAPI(t, 200, "GET", b.base+employees, tokA, app.AppKey, nil)
	mustAPI(t, 200, "GET", a.base+employees, tokB, app.AppKey, nil)
	if ka, kb := jwtKID(t, tokA), jwtKID(t, tokB); ka != kb {
		t.Errorf("A signs with %q and B with %q", ka, kb)
	}

	// A technician created through A is read through B.
	techRole := roleID(t, a.base, ten.TenantID, tokA, app.AppKey, "Technician", "Technician")
	resp := mustAPI(t, 200, "POST", a.base+fmt.Sprintf("/settings/v2/tenant/%d/technicians", ten.TenantID), tokA, app.AppKey, map[string]any{
		"name": "Marisol Vega", "phoneNumber": "(555) 310-2020", "roleId": techRole, "positions": []string{"Installer"},
		"licenseType": "ManagedInstaller", "accountCreationMethod": "CreateLater",
	})
	var createdTech struct {
		ID int64 `json:"id"`
	}
	resp.json(t, &createdTech)
	var tech struct {
		ID          int64  `json:"id"`
		Name        string `json:"name"`
		PhoneNumber string `json:"phoneNumber"`
	}
	mustAPI(t, 200, "GET", b.base+fmt.Sprintf("/settings/v2/tenant/%d/technicians/%d", ten.TenantID, createdTech.ID), tokB, app.AppKey, nil).json(t, &tech)
	if tech.ID != createdTech.ID || tech.Name != "Marisol Vega" || tech.PhoneNumber != "+15553102020" {
		t.Errorf("technician read through B = %+v", tech)
	}
	var list struct {
		Data []struct {
			ID int64 `json:"id"`
		} `json:"data"`
	}
	mustAPI(t, 200, "GET", b.base+fmt.Sprintf("/settings/v2/tenant/%d/technicians?name=marisol", ten.TenantID), tokA, app.AppKey, nil).json(t, &list)
	if len(list.Data) != 1 || list.Data[0].ID != createdTech.ID {
		t.Errorf("technicians?name=marisol through B = %+v", list.Data)
	}

	// A production node on the same database and issuer: its tokens and
	// the integration nodes' are refused by each other.
	addrP := freeAddr(t)
	p := start(t, "production node", dir, addrP, []string{"CREWID_ENVIRONMENT=production"},
		"serve", "--database", db, "--addr", addrP, "--public-url", clusterURL)
	prodToken := token(t, p.base, app).AccessToken
	if env := jwtClaims(t, prodToken)["env"]; env != "production" {
		t.Errorf("production node's token env = %v", env)
	}
	mustAPI(t, 200, "GET", p.base+employees, prodToken, app.AppKey, nil)
	for _, n := range []*node{a, b} {
		resp := mustAPI(t, 401, "GET", n.base+employees, prodToken, app.AppKey, nil)
		if !strings.Contains(string(resp.body), "production") {
			t.Errorf("%s's refusal of a production token does not say why: %s", n.name, resp.body)
		}
	}
	mustAPI(t, 401, "GET", p.base+employees, tokA, app.AppKey, nil)

	for _, n := range []*node{a, b, p} {
		if code := n.stop(); code != 0 {
			t.Errorf("%s: exit code after SIGTERM = %d, want 0\nstderr:\n%s", n.name, code, n.stderr.String())
		}
	}
}
