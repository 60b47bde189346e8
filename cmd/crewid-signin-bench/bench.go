package main

import (
	"bufio"
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
	"os"
	"os/exec"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sys/unix"

	"crewid"
	"crewid/access"
	"crewid/accounts/password"
	"crewid/org"
	"crewid/store"
	"crewid/store/postgres"
	"crewid/store/sqlite"
)

type config struct {
	dsn       string
	crewidBin string
	url       string
	pid       int
	people    int
	tenants   int
	clients   []int
	duration  time.Duration
	warmup    time.Duration
	hashRuns  int
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("crewid-signin-bench", flag.ContinueOnError)
	var cfg config
	var clients string
	fs.StringVar(&cfg.dsn, "database", "", "database: sqlite:PATH or postgres://… (required)")
	fs.StringVar(&cfg.crewidBin, "crewid", "", "crewid binary to start as the server under test")
	fs.StringVar(&cfg.url, "url", "", "base URL of a running server on the same database (instead of --crewid)")
	fs.IntVar(&cfg.pid, "pid", 0, "process id of the server at --url, to sample its memory")
	fs.IntVar(&cfg.people, "people", 200, "people with accounts to sign in as")
	fs.IntVar(&cfg.tenants, "tenants", 1, "tenants the people are spread over")
	fs.StringVar(&clients, "clients", "8,64", "concurrent clients, one run per number")
	fs.DurationVar(&cfg.duration, "duration", 20*time.Second, "measured time per run")
	fs.DurationVar(&cfg.warmup, "warmup", 3*time.Second, "unmeasured time before each run")
	fs.IntVar(&cfg.hashRuns, "hash-runs", 40, "hashes timed for the ceiling")
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if cfg.dsn == "" {
		return cfg, errors.New("--database is required")
	}
	if (cfg.crewidBin == "") == (cfg.url == "") {
		return cfg, errors.New("give either --crewid BINARY or --url URL")
	}
	for _, f := range strings.Split(clients, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return cfg, fmt.Errorf("--clients: %q is not a positive number", f)
		}
		cfg.clients = append(cfg.clients, n)
	}
	if cfg.people < 1 || cfg.hashRuns < 1 || cfg.tenants < 1 || cfg.tenants > cfg.people {
		return cfg, errors.New("--people and --hash-runs must be positive")
	}
	return cfg, nil
}

func run(ctx context.Context, args []string) error {
	cfg, err := parseFlags(args)
	if err != nil {
		return err
	}
	cores := runtime.GOMAXPROCS(0)
	fmt.Printf("machine: %d cores (%s), %s, GODEBUG=%s\n", cores, cpuModel(), runtime.Version(), os.Getenv("GODEBUG"))
	fmt.Printf("hash: argon2id m=%d KiB, t=%d, p=%d\n", password.Current.Memory, password.Current.Time, password.Current.Threads)

	// 1. The people.
	st, backend, err := openStore(ctx, cfg.dsn)
	if err != nil {
		return err
	}
	logins, pw, err := seed(ctx, st, cfg.people, cfg.tenants)
	st.Close()
	if err != nil {
		return err
	}

	// 2. The server.
	base, pid := strings.TrimRight(cfg.url, "/"), cfg.pid
	if cfg.crewidBin != "" {
		addr, err := freeAddr()
		if err != nil {
			return err
		}
		cmd := exec.CommandContext(ctx, cfg.crewidBin, "serve", "--database", cfg.dsn, "--addr", addr, "--signin-rate", "0")
		cmd.Stdout, cmd.Stderr = io.Discard, os.Stderr
		if err := cmd.Start(); err != nil {
			return fmt.Errorf("start %s: %w", cfg.crewidBin, err)
		}
		defer func() {
			_ = cmd.Process.Signal(os.Interrupt)
			_ = cmd.Wait()
		}()
		base, pid = "http://"+addr, cmd.Process.Pid
	}
	maxClients := slices.Max(cfg.clients)
	client := &http.Client{
		Transport: &http.Transport{MaxIdleConns: maxClients * 2, MaxIdleConnsPerHost: maxClients * 2, DisableCompression: true},
		Timeout:   time.Minute,
	}
	if err := waitHealthy(ctx, client, base); err != nil {
		return err
	}
	fmt.Printf("backend %s, server %s (pid %d), %d people in %d tenants\n\n", backend, base, pid, len(logins), cfg.tenants)

	// 3. The runs, each after its own ceiling: the hash is timed in the
	// pause between the warm-up and the measured load, so that a machine
	// whose speed drifts (a shared host) is compared with itself.
	fmt.Printf("ceiling: %d cores ÷ one hash alone, timed (median of %d) just before each run; beside it %d hashes at once\n\n", cores, cfg.hashRuns, cores)
	fmt.Printf("| clients | one hash alone (CPU) | ceiling | %d at once | sign-ins/s | of ceiling | sign-ins | errors | p50 | p95 | p99 | max | server peak RSS | server CPU per sign-in | hash share of it | server page faults per sign-in | load generator CPU per sign-in | machine busy | load avg |\n", cores)
	fmt.Println("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, n := range cfg.clients {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if cfg.warmup > 0 {
			load(ctx, client, base, logins, pw, n, cfg.warmup)
		}
		one, oneCPU, parallel := timeHashes(cfg.hashRuns, cores)
		ceiling := float64(cores) / one.Seconds()
		loadAvg := loadAverage()
		sampler := startRSSSampler(pid)
		cpu0, faults0 := processStat(pid)
		self0 := selfCPU()
		busy0, total0 := machineCPU()
		res := load(ctx, client, base, logins, pw, n, cfg.duration)
		cpu1, faults1 := processStat(pid)
		self := selfCPU() - self0
		cpu, faults := cpu1-cpu0, faults1-faults0
		busy1, total1 := machineCPU()
		rss, hwm := sampler.stop()
		rate := float64(res.ok) / res.elapsed.Seconds()
		lat := res.latencies
		perSignIn, share, faultsPer, selfPer := "n/a", "n/a", "n/a", "n/a"
		if res.ok > 0 {
			faultsPer = strconv.FormatInt(faults/int64(res.ok), 10)
			selfPer = fmt.Sprintf("%.2f ms", ms(self)/float64(res.ok))
		}
		if res.ok > 0 && cpu > 0 {
			per := cpu / float64(res.ok)
			perSignIn = fmt.Sprintf("%.1f ms", 1000*per)
			share = fmt.Sprintf("%.0f%%", 100*oneCPU.Seconds()/per)
		}
		busy := "n/a"
		if total1 > total0 {
			busy = fmt.Sprintf("%.0f%%", 100*(busy1-busy0)/(total1-total0))
		}
		fmt.Printf("| %d | %.1f ms (%.1f ms) | %.0f/s | %.0f/s | %.1f | %.0f%% | %d | %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %s | %s | %s | %s | %s | %s | %s |\n",
			n, ms(one), ms(oneCPU), ceiling, parallel, rate, 100*rate/ceiling, res.ok, res.errors,
			ms(pct(lat, 50)), ms(pct(lat, 95)), ms(pct(lat, 99)), ms(pct(lat, 100)), memory(rss, hwm),
			perSignIn, share, faultsPer, selfPer, busy, loadAvg)
		if res.firstError != "" {
			fmt.Printf("first error: %s\n", res.firstError)
		}
	}
	return nil
}

// timeHashes times one Verify alone (the median of runs, in wall time and
// in CPU time) and the rate of cores Verifies running at once.
// The CPU time holds on a busy machine, where the wall time does not.
func timeHashes(runs, cores int) (time.Duration, time.Duration, float64) {
	hash, err := password.Hash("Bench-Signin-Pass-1")
	if err != nil {
		panic(err)
	}
	_, _ = password.Verify(hash, "Bench-Signin-Pass-1") // warm up
	times := make([]time.Duration, runs)
	cpus := make([]time.Duration, runs)
	// argon2 computes each lane on a goroutine of its own, so the CPU time
	// is the process's (nothing else runs in it meanwhile; the garbage
	// collection of the hash's memory counts, as it does in the server).
	for i := range times {
		c0 := selfCPU()
		start := time.Now()
		_, _ = password.Verify(hash, "Bench-Signin-Pass-1")
		times[i] = time.Since(start)
		cpus[i] = selfCPU() - c0
	}
	slices.Sort(times)
	slices.Sort(cpus)
	var wg sync.WaitGroup
	start := time.Now()
	for range cores {
		wg.Go(func() {
			for range runs {
				_, _ = password.Verify(hash, "Bench-Signin-Pass-1")
			}
		})
	}
	wg.Wait()
	return times[len(times)/2], cpus[len(cpus)/2], float64(runs*cores) / time.Since(start).Seconds()
}

// selfCPU is the CPU time this process used so far.
func selfCPU() time.Duration {
	var ru unix.Rusage
	if err := unix.Getrusage(unix.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// openStore opens and migrates the database.
func openStore(ctx context.Context, dsn string) (store.Store, string, error) {
	var st store.Store
	var backend string
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		db, err := sqlite.Open(strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//"))
		if err != nil {
			return nil, "", err
		}
		st, backend = db, "sqlite"
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		db, err := postgres.Open(ctx, dsn)
		if err != nil {
			return nil, "", err
		}
		st, backend = db, "postgres"
	default:
		return nil, "", errors.New("--database must be sqlite:PATH or postgres://…")
	}
	if _, err := st.Migrate(ctx); err != nil {
		st.Close()
		return nil, "", fmt.Errorf("migrate: %w", err)
	}
	return st, backend, nil
}

// seed creates tenants with n employees spread over them, whose accounts
// are established, all with one password (hashed once), and returns their
// logins.
func seed(ctx context.Context, st store.Store, n, tenants int) ([]string, string, error) {
	const pw = "Bench-Signin-Pass-1"
	hash, err := password.Hash(pw)
	if err != nil {
		return nil, "", err
	}
	now := time.Now().UTC()
	operator := crewid.Actor{Type: crewid.ActorOperator, Name: "crewid-signin-bench"}
	run := strconv.FormatInt(now.UnixMilli(), 36)
	type place struct{ tenant, role int64 }
	places := make([]place, tenants)
	for t := range places {
		tenant, roles, err := (&org.Service{Store: st, Now: time.Now}).CreateTenant(ctx, operator, fmt.Sprintf("Sign-in bench %s %d", run, t))
		if err != nil {
			return nil, "", err
		}
		places[t].tenant = tenant.ID
		for _, r := range roles {
			if r.BuiltIn == access.KeyOfficeStaff {
				places[t].role = r.ID
			}
		}
	}
	logins := make([]string, n)
	for start := 0; start < n; start += 100 {
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := start; i < min(start+100, n); i++ {
				login := fmt.Sprintf("signin-%s-%d", run, i)
				at := places[i%tenants]
				p := crewid.Person{
					TenantID: at.tenant, Kind: crewid.KindEmployee, Name: "Bench Person " + strconv.Itoa(i),
					Email: login + "@bench.example", Active: true, RoleIDs: []int64{at.role},
					Positions: []string{}, Skills: []string{},
					Account: crewid.Account{State: crewid.AccountEstablished, Login: login, PasswordHash: hash,
						PasswordSetOn: now, LastSignInOn: now},
					CreatedOn: now, ModifiedOn: now,
				}
				if err := tx.CreatePerson(ctx, &p); err != nil {
					return err
				}
				logins[i] = login
			}
			return nil
		})
		if err != nil {
			return nil, "", fmt.Errorf("seed people: %w", err)
		}
	}
	return logins, pw, nil
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHealthy(ctx context.Context, client *http.Client, base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := client.Get(base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("server at %s not healthy: %v", base, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

type result struct {
	ok, errors int
	elapsed    time.Duration
	latencies  []time.Duration
	firstError string
}

// load runs n clients signing in as random people for d.
func load(ctx context.Context, client *http.Client, base string, logins []string, pw string, n int, d time.Duration) result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var res result
	var okCount, errCount atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for c := range n {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(c), uint64(start.UnixNano())))
			var lat []time.Duration
			for ctx.Err() == nil {
				body, _ := json.Marshal(map[string]string{"login": logins[rng.IntN(len(logins))], "password": pw})
				t0 := time.Now()
				msg := signIn(client, base, body)
				if ctx.Err() != nil && msg != "" {
					break // cut off by the end of the run
				}
				lat = append(lat, time.Since(t0))
				if msg != "" {
					errCount.Add(1)
					mu.Lock()
					if res.firstError == "" {
						res.firstError = msg
					}
					mu.Unlock()
					continue
				}
				okCount.Add(1)
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.ok, res.errors = int(okCount.Load()), int(errCount.Load())
	slices.Sort(res.latencies)
	return res
}

// signIn makes one sign-in; it returns "" on success, else what went wrong.
func signIn(client *http.Client, base string, body []byte) string {
	resp, err := client.Post(base+"/auth/sign-in", "application/json", bytes.NewReader(body))
	if err != nil {
		return err.Error()
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return err.Error()
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("status %d: %.200s", resp.StatusCode, raw)
	}
	var tk struct {
		AccessToken  string `json:"accessToken"`
		RefreshToken string `json:"refreshToken"`
	}
	if json.Unmarshal(raw, &tk) != nil || tk.AccessToken == "" || tk.RefreshToken == "" {
		return fmt.Sprintf("no tokens: %.200s", raw)
	}
	return ""
}

func pct(sorted []time.Duration, p int) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := (len(sorted)*p + 99) / 100
	return sorted[min(max(i-1, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// rssSampler keeps the largest resident memory of a process seen.
type rssSampler struct {
	pid       int
	done      chan struct{}
	wg        sync.WaitGroup
	peak, hwm int64 // kB
}

func startRSSSampler(pid int) *rssSampler {
	s := &rssSampler{pid: pid, done: make(chan struct{})}
	if pid <= 0 {
		return s
	}
	s.wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			rss, hwm := procStatus(s.pid)
			s.peak, s.hwm = max(s.peak, rss), max(s.hwm, hwm)
			select {
			case <-s.done:
				return
			case <-tick.C:
			}
		}
	})
	return s
}

func (s *rssSampler) stop() (peak, hwm int64) {
	close(s.done)
	s.wg.Wait()
	return s.peak, s.hwm
}

// procStatus reads VmRSS and VmHWM (kB) of a process.
func procStatus(pid int) (rss, hwm int64) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(val), " kB"), 10, 64)
		switch key {
		case "VmRSS":
			rss = n
		case "VmHWM":
			hwm = n
		}
	}
	return rss, hwm
}

func memory(rss, hwm int64) string {
	if rss == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.0f MiB (high-water %.0f MiB)", float64(rss)/1024, float64(hwm)/1024)
}

// processStat is the CPU time a process used so far, in seconds (user and
// system, from /proc/PID/stat, in clock ticks of 1/100 s), and its minor
// page faults so far.
func processStat(pid int) (cpu float64, faults int64) {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, 0
	}
	// The command name may hold spaces: the fields start after its ')'.
	s := string(raw)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, 0
	}
	minflt, _ := strconv.ParseInt(fields[7], 10, 64)
	utime, _ := strconv.ParseFloat(fields[11], 64)
	stime, _ := strconv.ParseFloat(fields[12], 64)
	return (utime + stime) / 100, minflt
}

// machineCPU returns the busy and total CPU time of the machine so far, in
// clock ticks (the first line of /proc/stat).
func machineCPU() (busy, total float64) {
	raw, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(raw), "\n")
	for i, f := range strings.Fields(line)[1:] {
		v, _ := strconv.ParseFloat(f, 64)
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total
}

func loadAverage() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "n/a"
	}
	return strings.Fields(string(raw))[0]
}

func cpuModel() string {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown CPU"
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown CPU"
}
