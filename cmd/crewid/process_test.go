package main

// Helpers of the tests that run the real crewid binary: building it once,
// running one-off commands, starting serve processes on free ports, calling
// their HTTP API, and scratch PostgreSQL databases.

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"crewid/store/postgres"
)

// crewidBin is the binary built by TestMain.
var crewidBin string

// coverDirEnv, when set to a directory, builds the binary with coverage
// instrumentation of every crewid package and has the processes write their
// counters there (read them with "go tool covdata percent -i DIR").
const coverDirEnv = "CREWID_TEST_COVERDIR"

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "crewid-cmd-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "crewid tests:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	crewidBin = filepath.Join(dir, "crewid")
	args := []string{"build", "-o", crewidBin}
	if os.Getenv(coverDirEnv) != "" {
		args = append(args, "-cover", "-coverpkg=crewid/...")
	}
	build := exec.Command("go", append(args, ".")...)
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "crewid tests: go build:", err)
		return 1
	}
	return m.Run()
}

// childEnv is the test's environment without any CREWID_ variable, GOGC or
// GODEBUG (so that the developer's own settings cannot leak into a test), plus
// extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "CREWID_") || strings.HasPrefix(kv, "GOCOVERDIR=") || strings.HasPrefix(kv, "GOGC=") || strings.HasPrefix(kv, "GODEBUG=") {
			continue
		}
		env = append(env, kv)
	}
	if d := os.Getenv(coverDirEnv); d != "" {
		env = append(env, "GOCOVERDIR="+d)
	}
	return append(env, extra...)
}

// result is how a one-off command ended.
type result struct {
	stdout, stderr string
	code           int
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
}

// command makes an exec.Cmd of the binary in dir with the given extra
// environment.
func command(ctx context.Context, dir string, env []string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, crewidBin, args...)
	cmd.Dir = dir
	cmd.Env = childEnv(env...)
	return cmd
}

// runCrewid runs a one-off command (not serve) for at most 30 seconds. It
// may be called from any goroutine.
func runCrewid(dir string, env []string, args ...string) (result, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := command(ctx, dir, env, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := result{stdout: stdout.String(), stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit) && exit.Exited():
		res.code = exit.ExitCode()
	default:
		return res, fmt.Errorf("crewid %s: %w\n%s", strings.Join(args, " "), err, res)
	}
	return res, nil
}

// cli runs a one-off command and returns how it ended.
func cli(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	res, err := runCrewid(dir, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

// mustCLI runs a one-off command that must succeed.
func mustCLI(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	res := cli(t, dir, env, args...)
	if res.code != 0 {
		t.Fatalf("crewid %s: %s", strings.Join(args, " "), res)
	}
	return res
}

// created is what "tenant create" prints.
type created struct {
	TenantID int64 `json:"tenantId"`
	UserID   int64 `json:"userId"`
}

// credentials is what "app create" prints.
type credentials struct {
	AppID        int64  `json:"appId"`
	AppKey       string `json:"appKey"`
	ClientID     string `json:"clientId"`
	ClientSecret string `json:"clientSecret"`
}

// decodeStrict decodes exactly one JSON value with only known fields.
func decodeStrict(t *testing.T, what, s string, v any) {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v in %q", what, err, s)
	}
	if dec.More() {
		t.Fatalf("%s: more than one JSON value in %q", what, s)
	}
}

func tenantCreateCmd(t *testing.T, dir, database string, args ...string) created {
	t.Helper()
	res := mustCLI(t, dir, nil, append([]string{"tenant", "create", "--database", database}, args...)...)
	var c created
	decodeStrict(t, "tenant create", res.stdout, &c)
	return c
}

func appCreateCmd(t *testing.T, dir, database string, tenantID int64, args ...string) credentials {
	t.Helper()
	res := mustCLI(t, dir, nil, append([]string{"app", "create", "--database", database,
		"--tenant", fmt.Sprint(tenantID), "--name", "Test integration"}, args...)...)
	var c credentials
	decodeStrict(t, "app create", res.stdout, &c)
	return c
}

// freeAddr returns a loopback address with a port nobody listens on now.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// syncBuffer is a bytes.Buffer safe for concurrent writes and reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// output is a file a process writes its stdout or stderr to directly, so
// that what it wrote before answering a request can be read as soon as the
// answer has come (a pipe would be copied by a goroutine, later).
type output struct{ f *os.File }

func newOutput(t *testing.T, name string) output {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return output{f}
}

func (o output) String() string {
	b, err := os.ReadFile(o.f.Name())
	if err != nil {
		return "(" + err.Error() + ")"
	}
	return string(b)
}

// node is a running "crewid serve" process.
type node struct {
	t      *testing.T
	name   string
	base   string // http://ADDR
	cmd    *exec.Cmd
	stdout output
	stderr output
	done   chan struct{} // closed when the process has ended
	err    error         // of Wait, once done is closed
}

// launch starts a serve process listening on addr (which the command line
// or environment must name) without waiting for it.
func launch(t *testing.T, name, dir, addr string, env []string, args ...string) *node {
	t.Helper()
	n := &node{t: t, name: name, base: "http://" + addr, done: make(chan struct{}),
		stdout: newOutput(t, "stdout"), stderr: newOutput(t, "stderr")}
	n.cmd = command(context.Background(), dir, env, args...)
	n.cmd.Stdout, n.cmd.Stderr = n.stdout.f, n.stderr.f
	if err := n.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() {
		n.err = n.cmd.Wait()
		close(n.done)
	}()
	t.Cleanup(func() {
		select {
		case <-n.done:
			return
		default:
		}
		_ = n.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-n.done:
		case <-time.After(5 * time.Second):
			_ = n.cmd.Process.Kill()
			<-n.done
		}
		if t.Failed() {
			t.Logf("%s output:\nstdout:\n%s\nstderr:\n%s", n.name, n.stdout.String(), n.stderr.String())
		}
	})
	return n
}

// start launches a serve process and waits until it answers /healthz.
func start(t *testing.T, name, dir, addr string, env []string, args ...string) *node {
	t.Helper()
	n := launch(t, name, dir, addr, env, args...)
	n.waitHealthy()
	return n
}

// waitHealthy waits up to 20 seconds for GET /healthz to answer 200.
func (n *node) waitHealthy() {
	n.t.Helper()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-n.done:
			n.t.Fatalf("%s ended before it was healthy: %v\nstdout:\n%s\nstderr:\n%s", n.name, n.err, n.stdout.String(), n.stderr.String())
		default:
		}
		resp, err := client.Get(n.base + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			n.t.Fatalf("%s not healthy after 20s (last: %v)\nstderr:\n%s", n.name, err, n.stderr.String())
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// stop sends SIGTERM and returns the exit code (failing after 10 s).
func (n *node) stop() int {
	n.t.Helper()
	if err := n.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		n.t.Fatalf("SIGTERM %s: %v", n.name, err)
	}
	select {
	case <-n.done:
	case <-time.After(10 * time.Second):
		n.t.Fatalf("%s still running 10s after SIGTERM\nstderr:\n%s", n.name, n.stderr.String())
	}
	var exit *exec.ExitError
	switch {
	case n.err == nil:
		return 0
	case errors.As(n.err, &exit):
		return exit.ExitCode() // -1 when killed by a signal
	}
	n.t.Fatalf("%s: %v", n.name, n.err)
	return -1
}

// response is an HTTP answer read in full.
type response struct {
	status int
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func do(t *testing.T, req *http.Request) response {
	t.Helper()
	resp, err := httpClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return response{status: resp.StatusCode, body: body}
}

// tokenResponse is the answer of /connect/token.
type tokenResponse struct {
	AccessToken string `json:"access_token"`
	TokenType   string `json:"token_type"`
	ExpiresIn   int    `json:"expires_in"`
	Scope       string `json:"scope"`
}

// requestToken asks base's /connect/token for a client-credentials token.
func requestToken(t *testing.T, base, clientID, clientSecret string) response {
	t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {clientID}, "client_secret": {clientSecret}}
	req, err := http.NewRequest("POST", base+"/connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return do(t, req)
}

// token gets a token that must be issued.
func token(t *testing.T, base string, c credentials) tokenResponse {
	t.Helper()
	resp := requestToken(t, base, c.ClientID, c.ClientSecret)
	if resp.status != http.StatusOK {
		t.Fatalf("POST %s/connect/token: %d %s", base, resp.status, resp.body)
	}
	var tok tokenResponse
	resp.json(t, &tok)
	if tok.AccessToken == "" || tok.TokenType != "Bearer" {
		t.Fatalf("token response %s", resp.body)
	}
	return tok
}

// api calls the Settings API with a token and an application key; body,
// when not nil, is sent as JSON.
func api(t *testing.T, method, url, accessToken, appKey string, body any) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if accessToken != "" {
		req.Header.Set("Authorization", "Bearer "+accessToken)
	}
	if appKey != "" {
		req.Header.Set("ST-App-Key", appKey)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return do(t, req)
}

// mustAPI is api for a call that must answer want.
func mustAPI(t *testing.T, want int, method, url, accessToken, appKey string, body any) response {
	t.Helper()
	resp := api(t, method, url, accessToken, appKey, body)
	if resp.status != want {
		t.Fatalf("%s %s: %d %s, want %d", method, url, resp.status, resp.body, want)
	}
	return resp
}

// jwtClaims decodes the payload of a JWT without verifying it.
func jwtClaims(t *testing.T, raw string) map[string]any { return jwtPart(t, raw, 1) }

// jwtHeader decodes the header of a JWT.
func jwtHeader(t *testing.T, raw string) map[string]any { return jwtPart(t, raw, 0) }

func jwtPart(t *testing.T, raw string, i int) map[string]any {
	t.Helper()
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a compact JWS", raw)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[i])
	if err != nil {
		t.Fatalf("token part %d: %v", i, err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("token part %d: %v", i, err)
	}
	return m
}

// roleID returns the id of the tenant's role named name.
func roleID(t *testing.T, base string, tenant int64, tok, appKey, name, employeeType string) int64 {
	t.Helper()
	resp := mustAPI(t, 200, "GET", fmt.Sprintf("%s/settings/v2/tenant/%d/user-roles?employeeType=%s&pageSize=200", base, tenant, employeeType), tok, appKey, nil)
	var page struct {
		Data []struct {
			ID   int64  `json:"id"`
			Name string `json:"name"`
		} `json:"data"`
	}
	resp.json(t, &page)
	for _, r := range page.Data {
		if r.Name == name {
			return r.ID
		}
	}
	t.Fatalf("no role %q among %s", name, resp.body)
	return 0
}

// pgDatabase creates an empty (unmigrated) scratch database on the server
// of CREWID_TEST_POSTGRES_URL and returns its URL; it is dropped when the
// test ends, after the processes started later have been stopped. Without
// the variable the test is skipped (or fails when CREWID_REQUIRE_POSTGRES=1).
func pgDatabase(t *testing.T) string {
	t.Helper()
	serverURL := postgres.TestURL(t)
	u, err := url.Parse(serverURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL for these tests, not %q", postgres.TestURLEnv, serverURL)
	}
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("crewid_cmdtest_%x", b)
	admin, err := sql.Open("pgx", serverURL)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	u.RawPath = ""
	return u.String()
}

// pgQueryInt runs a query returning one integer on the database at dbURL.
func pgQueryInt(t *testing.T, dbURL, query string) int64 {
	t.Helper()
	db, err := sql.Open("pgx", dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int64
	if err := db.QueryRow(query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// logInt is the integer value of key=N in a start-up log (0 if absent).
func logInt(t *testing.T, log, key string) int {
	t.Helper()
	m := regexp.MustCompile(`\b` + regexp.QuoteMeta(key) + `=(\d+)`).FindStringSubmatch(log)
	if m == nil {
		t.Errorf("no %s= in the log:\n%s", key, log)
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}
