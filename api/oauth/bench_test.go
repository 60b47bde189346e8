//go:build unix

package oauth_test

import (
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"crewid/server/servertest"
	"crewid/store/postgres"
)

// BenchmarkTokenOverHTTP is the client-credentials grant over HTTP on a
// whole server, with 16 clients at once (8 per core on 2 cores), on each
// backend:
//
//	go test ./api/oauth -run '^$' -bench TokenOverHTTP -benchtime 5s
func BenchmarkTokenOverHTTP(b *testing.B) {
	for _, backend := range servertest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			if backend.Name == "postgres" && os.Getenv(postgres.TestURLEnv) == "" {
				b.Skip(postgres.TestURLEnv + " is not set")
			}
			env := servertest.Start(b, backend.Open(b))
			env.Token(b, env.App) // makes the signing key
			transport := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
			b.Cleanup(transport.CloseIdleConnections)
			hc := &http.Client{Transport: transport}
			form := url.Values{"grant_type": {"client_credentials"}, "client_id": {env.App.ClientID},
				"client_secret": {env.App.ClientSecret}}.Encode()
			b.SetParallelism(8)
			cpu0 := cpuTime()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					resp, err := hc.Post(env.URL+"/connect/token", "application/x-www-form-urlencoded", strings.NewReader(form))
					if err != nil {
						b.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("token: %d", resp.StatusCode)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
			// Server and clients share the process: this CPU time per token
			// includes the clients' side, so 2 cores / it underestimates
			// what the server alone sustains.
			b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
		})
	}
}

// cpuTime is the CPU time (user and system) the process has used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
