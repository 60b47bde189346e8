package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"crewid"
	"crewid/apps"
	"crewid/server"
	"crewid/store"
)

type runConfig struct {
	dsn         string
	crewidBin   string
	url         string
	pid         int
	scenarios   []string
	duration    time.Duration
	warmup      time.Duration
	concurrency int
	tenants     int
	idTenants   int
	cpuProfile  string
	breakdown   bool
}

func runCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("run", flag.ContinueOnError)
	var cfg runConfig
	fs.StringVar(&cfg.dsn, "database", "", "database: sqlite:PATH or postgres://… (required: apps are created in it)")
	fs.StringVar(&cfg.crewidBin, "crewid", "", "start this crewid binary as `crewid serve` on the database and measure it")
	fs.StringVar(&cfg.url, "url", "", "measure a crewid server already running at this base URL")
	fs.IntVar(&cfg.pid, "pid", 0, "process id of the server at --url, to sample its memory and CPU")
	scenarios := fs.String("scenarios", "list,get,export,token", "scenarios to run, in order")
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "how long each scenario runs")
	fs.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "unmeasured load before each scenario")
	fs.IntVar(&cfg.concurrency, "concurrency", 8, "concurrent HTTP clients (keep-alive)")
	fs.IntVar(&cfg.tenants, "tenants", 0, "bench tenants to use (default all)")
	fs.IntVar(&cfg.idTenants, "id-tenants", 100, "tenants whose technician ids get-by-id picks from")
	fs.BoolVar(&cfg.breakdown, "breakdown", false, "also report latency by list filter combination")
	fs.StringVar(&cfg.cpuProfile, "cpuprofile", "", "write a CPU profile of this process (in-process server and load) to `file`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.dsn == "" {
		return errors.New("--database is required")
	}
	if cfg.crewidBin != "" && cfg.url != "" {
		return errors.New("give --crewid or --url, not both")
	}
	for _, s := range strings.Split(*scenarios, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if _, ok := scenarioFuncs[s]; !ok {
				return fmt.Errorf("unknown scenario %q (list, get, export, token)", s)
			}
			cfg.scenarios = append(cfg.scenarios, s)
		}
	}
	if cfg.concurrency < 1 {
		return errors.New("--concurrency must be positive")
	}
	return runBench(ctx, cfg)
}

// tenantCreds is what a client needs to call as one tenant's application.
type tenantCreds struct {
	tenantID     int64
	appKey       string
	clientID     string
	clientSecret string
	token        string
	ids          []int64 // technician ids, for tenants in the get sample
}

type bench struct {
	cfg     runConfig
	base    string
	client  *http.Client
	tenants []*tenantCreds
	sample  []*tenantCreds // tenants with ids
	names   []string       // name fragments the list filter uses
}

func runBench(ctx context.Context, cfg runConfig) error {
	st, isSQLite, err := openStore(ctx, cfg.dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	backend := "postgres"
	if isSQLite {
		backend = "sqlite"
	}

	tenants, err := benchTenants(ctx, st)
	if err != nil {
		return err
	}
	if len(tenants) == 0 {
		return errors.New("no bench tenants: run `crewid-bench seed` first")
	}
	if cfg.tenants > 0 && cfg.tenants < len(tenants) {
		tenants = tenants[:cfg.tenants]
	}

	// The server under test.
	var pid int
	var mode string
	base := cfg.url
	switch {
	case cfg.url != "":
		pid, mode = cfg.pid, "external server"
		base = strings.TrimRight(cfg.url, "/")
	case cfg.crewidBin != "":
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, cfg.crewidBin, "serve", "--database", cfg.dsn, "--addr", addr)
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", cfg.crewidBin, err)
		}
		defer func() {
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
		}()
		pid, mode = cmd.Process.Pid, "crewid serve child process"
		base = "http://" + addr
	default:
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		base = "http://" + ln.Addr().String()
		srv := server.New(server.Config{Store: st, PublicURL: base, Environment: "integration", LocalOutbox: true})
		hs := &http.Server{Handler: srv.Handler, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = hs.Serve(ln) }()
		defer hs.Close()
		pid, mode = os.Getpid(), "in-process (figures include the load generator)"
	}

	transport := &http.Transport{
		MaxIdleConns:        cfg.concurrency * 2,
		MaxIdleConnsPerHost: cfg.concurrency * 2,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
	}
	b := &bench{cfg: cfg, base: base, client: &http.Client{Transport: transport, Timeout: time.Minute}}
	if err := b.waitHealthy(ctx); err != nil {
		return err
	}

	var sampler *rssSampler
	if pid > 0 {
		sampler = startRSSSampler(pid, 50*time.Millisecond)
		defer sampler.stop()
	}

	fmt.Printf("backend %s, server %s (pid %d), %s\n", backend, mode, pid, base)
	fmt.Printf("machine: %d CPUs (%s), %s, load average %s; load: %d clients, %s per scenario after %s warm-up\n",
		runtime.NumCPU(), cpuModel(), runtime.Version(), loadAverage(), cfg.concurrency, cfg.duration, cfg.warmup)

	setupStart := time.Now()
	if err := b.setup(ctx, st, tenants); err != nil {
		return err
	}
	fmt.Printf("set-up: %d applications and tokens, %d tenants' ids loaded (%.1fs)\n\n",
		len(b.tenants), len(b.sample), time.Since(setupStart).Seconds())

	if cfg.cpuProfile != "" {
		f, err := os.Create(cfg.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	// PostgreSQL backends name their database in their command line.
	pgDatabase := ""
	if u, err := url.Parse(cfg.dsn); err == nil && !isSQLite {
		pgDatabase = " " + strings.TrimPrefix(u.Path, "/") + " "
	}
	fmt.Println("| scenario | requests | errors | duration | req/s | records/s | p50 | p90 | p99 | max | server CPU | load-generator CPU | PostgreSQL CPU | other processes' CPU |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, name := range cfg.scenarios {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		fn := scenarioFuncs[name]
		if cfg.warmup > 0 {
			b.load(ctx, cfg.warmup, fn)
		}
		self := os.Getpid()
		cpu0, self0, pg0, all0 := processCPU(pid), processCPU(self), commandCPU("postgres", pgDatabase), machineCPU()
		res := b.load(ctx, cfg.duration, fn)
		cpu, selfCPU, pgCPU, all := processCPU(pid)-cpu0, processCPU(self)-self0, cpuSince(pg0, commandCPU("postgres", pgDatabase)), machineCPU()-all0
		if pid == self {
			selfCPU = 0 // one process: all of it is shown as the server's
		}
		if isSQLite {
			pgCPU = 0 // another database's work is just another process
		}
		fmt.Println(res.row(name, cpu, selfCPU, pgCPU, all-cpu-selfCPU-pgCPU))
	}
	if sampler != nil {
		peak, hwm := sampler.stop()
		fmt.Printf("\nserver resident memory: peak VmRSS %.1f MB (sampled every 50 ms), VmHWM %.1f MB\n",
			float64(peak)/1024, float64(hwm)/1024)
	}
	return nil
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

func (b *bench) waitHealthy(ctx context.Context) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := b.client.Get(b.base + "/healthz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server at %s not healthy: %v", b.base, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// setup creates an application per tenant, gets a token for each, and
// loads the technician ids of a sample of tenants.
func (b *bench) setup(ctx context.Context, st store.Store, tenants []crewid.Tenant) error {
	svc := &apps.Service{Store: st, Now: time.Now}
	actor := crewid.Actor{Type: crewid.ActorOperator, Name: "crewid-bench run"}
	for _, t := range tenants {
		app, secret, err := svc.Create(ctx, actor, t.ID, "bench "+time.Now().UTC().Format("2006-01-02T15:04:05"), nil)
		if err != nil {
			return fmt.Errorf("create app in tenant %d: %w", t.ID, err)
		}
		c := &tenantCreds{tenantID: t.ID, appKey: app.AppKey, clientID: app.ClientID, clientSecret: secret}
		if c.token, err = b.issueToken(ctx, c); err != nil {
			return err
		}
		b.tenants = append(b.tenants, c)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	perm := rng.Perm(len(b.tenants))
	for _, i := range perm[:min(b.cfg.idTenants, len(perm))] {
		c := b.tenants[i]
		page, err := st.People(ctx, c.tenantID, store.PersonQuery{Kind: crewid.KindTechnician,
			ListQuery: store.ListQuery{Active: store.ActiveAny, PageSize: 5000}})
		if err != nil {
			return err
		}
		for _, p := range page.Items {
			c.ids = append(c.ids, p.ID)
		}
		if len(c.ids) > 0 {
			b.sample = append(b.sample, c)
		}
	}
	// Name fragments: pieces of the seeded last names, as a person would type.
	for _, n := range lastNames {
		b.names = append(b.names, strings.ToLower(n[:min(4, len(n))]))
	}
	b.names = append(b.names, "an", "son", "ez", "ria")
	return b.checkExport(ctx)
}

func (b *bench) issueToken(ctx context.Context, c *tenantCreds) (string, error) {
	status, body, err := b.do(ctx, http.MethodPost, "/connect/token", nil, tokenForm(c))
	if err != nil {
		return "", err
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if status != http.StatusOK || json.Unmarshal(body, &tok) != nil || tok.AccessToken == "" {
		return "", fmt.Errorf("token for tenant %d: status %d: %s", c.tenantID, status, truncate(body))
	}
	return tok.AccessToken, nil
}

func tokenForm(c *tenantCreds) []byte {
	return []byte(url.Values{"grant_type": {"client_credentials"}, "client_id": {c.clientID}, "client_secret": {c.clientSecret}}.Encode())
}

// checkExport decodes one export page fully and checks that the cheap
// reading the export scenario does of it agrees.
func (b *bench) checkExport(ctx context.Context) error {
	c := b.tenants[0]
	status, body, err := b.do(ctx, http.MethodGet, "/settings/v2/tenant/"+strconv.FormatInt(c.tenantID, 10)+"/export/technicians", c, nil)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("export: status %d: %s", status, truncate(body))
	}
	var page struct {
		HasMore      bool              `json:"hasMore"`
		ContinueFrom string            `json:"continueFrom"`
		Data         []json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	n, more, from := readExport(body)
	if n != len(page.Data) || more != page.HasMore || from != page.ContinueFrom {
		return fmt.Errorf("export page read as (%d, %v, %q), decoded as (%d, %v, %q)", n, more, from, len(page.Data), page.HasMore, page.ContinueFrom)
	}
	return nil
}

// readExport reads an export page without decoding its records: the
// envelope's fields come first, and each technician has one "userId".
func readExport(body []byte) (records int, hasMore bool, continueFrom string) {
	hasMore = bytes.HasPrefix(body, []byte(`{"hasMore":true`))
	if _, rest, ok := bytes.Cut(body, []byte(`"continueFrom":"`)); ok {
		if end := bytes.IndexByte(rest, '"'); end >= 0 {
			continueFrom = string(rest[:end])
		}
	}
	return bytes.Count(body, []byte(`"userId":`)), hasMore, continueFrom
}

// do sends one request, with c's credentials when c is not nil.
func (b *bench) do(ctx context.Context, method, path string, c *tenantCreds, form []byte) (int, []byte, error) {
	var body io.Reader
	if form != nil {
		body = bytes.NewReader(form)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if c != nil {
		req.Header.Set("Authorization", "Bearer "+c.token)
		req.Header.Set("ST-App-Key", c.appKey)
	}
	resp, err := b.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	return resp.StatusCode, raw, err
}

func truncate(b []byte) string {
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// ---- Scenarios

// worker is one client's state.
type worker struct {
	b   *bench
	rng *rand.Rand
	lat []time.Duration
	err int
	rec int // records received (export)
	// label names the variant of the next request (list filters); lats
	// keeps latencies by label when the run breaks them down.
	label string
	lats  map[string][]time.Duration
	// firstErr keeps one failure to show.
	firstErr string
}

// timed sends one request and records its latency and outcome.
func (w *worker) timed(ctx context.Context, method, path string, c *tenantCreds, form []byte) (int, []byte, bool) {
	start := time.Now()
	status, body, err := w.b.do(ctx, method, path, c, form)
	if ctx.Err() != nil {
		return 0, nil, false // cut off by the end of the run: not counted
	}
	took := time.Since(start)
	w.lat = append(w.lat, took)
	if w.lats != nil && w.label != "" {
		w.lats[w.label] = append(w.lats[w.label], took)
	}
	if err != nil || status != http.StatusOK {
		w.err++
		if w.firstErr == "" {
			if err != nil {
				w.firstErr = err.Error()
			} else {
				w.firstErr = fmt.Sprintf("%s %s: %d %s", method, path, status, truncate(body))
			}
		}
		return status, body, false
	}
	return status, body, true
}

type scenarioFunc func(ctx context.Context, w *worker)

var scenarioFuncs = map[string]scenarioFunc{
	"list":   listOnce,
	"get":    getOnce,
	"export": exportOnce,
	"token":  tokenOnce,
}

func (w *worker) tenant() *tenantCreds { return w.b.tenants[w.rng.IntN(len(w.b.tenants))] }

// listOnce asks a random tenant for a page of 50 technicians with a random
// mix of filters: name contains, active, page and includeTotal.
func listOnce(ctx context.Context, w *worker) {
	c := w.tenant()
	q := url.Values{"pageSize": {"50"}}
	var label []string
	if w.rng.IntN(2) == 0 {
		q.Set("name", w.b.names[w.rng.IntN(len(w.b.names))])
		label = append(label, "name")
	}
	switch w.rng.IntN(4) {
	case 1:
		q.Set("active", "True")
		label = append(label, "active=True")
	case 2:
		q.Set("active", "False")
		label = append(label, "active=False")
	case 3:
		q.Set("active", "Any")
		label = append(label, "active=Any")
	default:
		label = append(label, "active=(default)")
	}
	q.Set("page", strconv.Itoa(1+w.rng.IntN(5)))
	if w.rng.IntN(2) == 0 {
		q.Set("includeTotal", "true")
		label = append(label, "includeTotal")
	}
	w.label = strings.Join(label, " ")
	w.timed(ctx, http.MethodGet, "/settings/v2/tenant/"+strconv.FormatInt(c.tenantID, 10)+"/technicians?"+q.Encode(), c, nil)
}

// getOnce reads one technician by id.
func getOnce(ctx context.Context, w *worker) {
	c := w.b.sample[w.rng.IntN(len(w.b.sample))]
	id := c.ids[w.rng.IntN(len(c.ids))]
	w.timed(ctx, http.MethodGet, "/settings/v2/tenant/"+strconv.FormatInt(c.tenantID, 10)+"/technicians/"+strconv.FormatInt(id, 10), c, nil)
}

// exportOnce exports all technicians of a random tenant, resuming from
// each page's continueFrom token until hasMore is false.
func exportOnce(ctx context.Context, w *worker) {
	c := w.tenant()
	path := "/settings/v2/tenant/" + strconv.FormatInt(c.tenantID, 10) + "/export/technicians"
	from := ""
	for {
		p := path
		if from != "" {
			p += "?from=" + url.QueryEscape(from)
		}
		_, body, ok := w.timed(ctx, http.MethodGet, p, c, nil)
		if !ok {
			return
		}
		n, more, next := readExport(body)
		w.rec += n
		if !more || next == "" {
			return
		}
		from = next
	}
}

// tokenOnce runs the client-credentials grant of a random application.
func tokenOnce(ctx context.Context, w *worker) {
	c := w.tenant()
	w.timed(ctx, http.MethodPost, "/connect/token", nil, tokenForm(c))
}

// ---- Load and results

type result struct {
	requests int
	errors   int
	records  int
	elapsed  time.Duration
	lat      []time.Duration
	firstErr string
	byLabel  map[string][]time.Duration
}

// load runs fn in cfg.concurrency clients for d and gathers the results.
func (b *bench) load(ctx context.Context, d time.Duration, fn scenarioFunc) result {
	deadline := time.Now().Add(d)
	workers := make([]*worker, b.cfg.concurrency)
	var wg sync.WaitGroup
	start := time.Now()
	for i := range workers {
		w := &worker{b: b, rng: rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(i)))}
		if b.cfg.breakdown {
			w.lats = map[string][]time.Duration{}
		}
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil && time.Now().Before(deadline) {
				fn(ctx, w)
			}
		}()
	}
	wg.Wait()
	res := result{elapsed: time.Since(start)}
	for _, w := range workers {
		res.requests += len(w.lat)
		res.errors += w.err
		res.records += w.rec
		res.lat = append(res.lat, w.lat...)
		if res.firstErr == "" {
			res.firstErr = w.firstErr
		}
		for k, v := range w.lats {
			if res.byLabel == nil {
				res.byLabel = map[string][]time.Duration{}
			}
			res.byLabel[k] = append(res.byLabel[k], v...)
		}
	}
	return res
}

func (r result) row(name string, cpu, loadCPU, dbCPU, otherCPU time.Duration) string {
	sortDurations(r.lat)
	secs := r.elapsed.Seconds()
	records := "–"
	if r.records > 0 {
		records = fmt.Sprintf("%.0f", float64(r.records)/secs)
	}
	cpuText := "–"
	if cpu > 0 {
		cpuText = fmt.Sprintf("%.0f%% (%.0f µs/req)", 100*cpu.Seconds()/secs, float64(cpu.Microseconds())/float64(max(1, r.requests)))
	}
	share := func(d time.Duration) string {
		if d <= 0 {
			return "–"
		}
		return fmt.Sprintf("%.0f%%", 100*d.Seconds()/secs)
	}
	line := fmt.Sprintf("| %s | %d | %d | %.1fs | %.0f | %s | %s | %s | %s | %s | %s | %s | %s | %s |",
		name, r.requests, r.errors, secs, float64(r.requests)/secs, records,
		ms(percentile(r.lat, 0.50)), ms(percentile(r.lat, 0.90)), ms(percentile(r.lat, 0.99)), ms(percentile(r.lat, 1)), cpuText,
		share(loadCPU), share(dbCPU), share(otherCPU))
	if r.firstErr != "" {
		line += "\n  first error: " + r.firstErr
	}
	labels := make([]string, 0, len(r.byLabel))
	for k := range r.byLabel {
		labels = append(labels, k)
	}
	slices.Sort(labels)
	for _, k := range labels {
		l := r.byLabel[k]
		sortDurations(l)
		line += fmt.Sprintf("\n|   %s | %d | | | | | %s | %s | %s | %s | | | | |", k, len(l),
			ms(percentile(l, 0.50)), ms(percentile(l, 0.90)), ms(percentile(l, 0.99)), ms(percentile(l, 1)))
	}
	return line
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }
