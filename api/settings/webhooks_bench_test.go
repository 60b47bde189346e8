package settings_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"crewid/server/servertest"
)

// BenchmarkWebhookFanout drives changes through the Settings API at a
// fixed rate while every change is delivered to several subscriptions,
// each with a receiver of its own on 127.0.0.1, all in this process (the
// server, its delivery worker, the receivers and the clients share the
// machine). It reports the rate of changes made and of deliveries
// received, the delay from a change to its delivery (p50, p99, max), and
// how long the deliveries took to catch up after the last change: fan-out
// keeps up when the delivery rate matches changes × subscribers and the
// delay stays around a second or less.
//
//	go test ./api/settings -run '^$' -bench BenchmarkWebhookFanout -benchtime 1x
//
// CREWID_BENCH_WEBHOOK_RATE (changes/s, default 500),
// CREWID_BENCH_WEBHOOK_SECONDS (default 20) and
// CREWID_BENCH_WEBHOOK_SUBSCRIBERS (default 10) change the load.
func BenchmarkWebhookFanout(b *testing.B) {
	rate, seconds, subscribers := envInt("CREWID_BENCH_WEBHOOK_RATE", 500), envInt("CREWID_BENCH_WEBHOOK_SECONDS", 20),
		envInt("CREWID_BENCH_WEBHOOK_SUBSCRIBERS", 10)
	for _, backend := range servertest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			for b.Loop() {
				fanout(b, backend, rate, seconds, subscribers)
			}
		})
	}
}

// processCPU is the user and system CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// benchReceiver counts deliveries and their delay after the change.
type benchReceiver struct {
	srv   *httptest.Server
	count atomic.Int64
	mu    sync.Mutex
	delay []time.Duration
}

func newBenchReceiver(b *testing.B) *benchReceiver {
	r := &benchReceiver{}
	marker := []byte(`"occurredOn":"`)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		now := time.Now()
		if i := bytes.Index(body, marker); i >= 0 {
			rest := body[i+len(marker):]
			if j := bytes.IndexByte(rest, '"'); j > 0 {
				if at, err := time.Parse(time.RFC3339Nano, string(rest[:j])); err == nil {
					r.mu.Lock()
					r.delay = append(r.delay, now.Sub(at))
					r.mu.Unlock()
				}
			}
		}
		r.count.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	b.Cleanup(r.srv.Close)
	return r
}

func fanout(b *testing.B, backend servertest.Backend, rate, seconds, subscribers int) {
	env := servertest.Start(b, backend.Open(b), servertest.WithPrivateWebhooks())
	auth := env.Authorize(b, env.App)
	base := fmt.Sprintf("/settings/v2/tenant/%d", env.Tenant.ID)
	receivers := make([]*benchReceiver, subscribers)
	for i := range receivers {
		receivers[i] = newBenchReceiver(b)
		status, raw := env.Do(b, auth, "POST", base+"/webhooks", map[string]any{"url": receivers[i].srv.URL, "events": []string{"TagType.*"}})
		if status != http.StatusOK {
			b.Fatalf("subscribe: %d %s", status, raw)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		env.Server.WebhookWorker.Run(ctx)
	}()
	defer func() { cancel(); <-done }()

	// Changes at a fixed rate: one tag type created per tick, sent by a
	// pool of clients so that a slow answer does not hold up the next.
	total := rate * seconds
	ticks := make(chan int, rate)
	var failed atomic.Int64
	var wg sync.WaitGroup
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	token := env.Token(b, env.App)
	for range 32 {
		wg.Go(func() {
			for i := range ticks {
				req, _ := http.NewRequest("POST", env.URL+base+"/tag-types", bytes.NewReader(fmt.Appendf(nil, `{"name":"Load %06d"}`, i)))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("ST-App-Key", env.App.AppKey)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
			}
		})
	}
	cpuBefore := processCPU()
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	for i := range total {
		if wait := time.Until(start.Add(time.Duration(i) * interval)); wait > 0 {
			time.Sleep(wait)
		}
		ticks <- i
	}
	close(ticks)
	wg.Wait()
	driven := time.Since(start)
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d of %d changes failed", n, total)
	}

	// Wait for the deliveries to catch up.
	want := int64(total * subscribers)
	received := func() int64 {
		var n int64
		for _, r := range receivers {
			n += r.count.Load()
		}
		return n
	}
	for received() < want {
		if time.Since(start) > driven+2*time.Minute {
			b.Fatalf("%d of %d deliveries after 2 minutes", received(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
	all := time.Since(start)
	cpu := processCPU() - cpuBefore

	var delays []time.Duration
	for _, r := range receivers {
		r.mu.Lock()
		delays = append(delays, r.delay...)
		r.mu.Unlock()
	}
	slices.Sort(delays)
	pct := func(p float64) float64 {
		return float64(delays[min(len(delays)-1, int(float64(len(delays))*p))].Milliseconds())
	}
	b.ReportMetric(float64(total)/driven.Seconds(), "changes/s")
	b.ReportMetric(float64(want)/all.Seconds(), "deliveries/s")
	b.ReportMetric(pct(0.50), "delay-p50-ms")
	b.ReportMetric(pct(0.99), "delay-p99-ms")
	b.ReportMetric(float64(delays[len(delays)-1].Milliseconds()), "delay-max-ms")
	b.ReportMetric(float64((all - driven).Milliseconds()), "catch-up-ms")
	// CPU time of this whole process (server, worker, receivers and
	// clients) per change and its deliveries: what the load costs,
	// whatever else the machine is doing.
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(total), "cpu-ms/change")
	b.Logf("%s: %d changes in %v to %d subscribers; %d deliveries received (duplicates %d) by %v",
		backend.Name, total, driven.Round(time.Millisecond), subscribers, received(), received()-want, all.Round(time.Millisecond))
}
