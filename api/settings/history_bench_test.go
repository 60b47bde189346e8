package settings_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"testing"
	"time"

	"crewid/server/servertest"
)

// BenchmarkHistoryExport seeds a tenant's history through the store (as
// history.Record writes it: a technician's before and after, hash chained)
// and exports all of it over HTTP, following the continuation tokens, as a
// client would (reading each page's envelope and counting its events). It
// reports events/s. CREWID_BENCH_HISTORY_EVENTS sets the
// number of events (default 200,000).
//
//	go test ./api/settings -run '^$' -bench BenchmarkHistoryExport -benchtime 3x
func BenchmarkHistoryExport(b *testing.B) {
	n := 200_000
	if v, err := strconv.Atoi(os.Getenv("CREWID_BENCH_HISTORY_EVENTS")); err == nil && v > 0 {
		n = v
	}
	for _, backend := range servertest.Backends() {
		b.Run(backend.Name, func(b *testing.B) {
			env := servertest.Start(b, backend.Open(b))
			start := time.Now()
			histSeed(b, env.Store, env.Tenant.ID, n)
			b.Logf("%s: seeded %d events in %v", backend.Name, n, time.Since(start).Round(time.Millisecond))
			token := env.Token(b, env.App)
			client := &http.Client{}
			base := env.URL + "/settings/v2/tenant/" + strconv.FormatInt(env.Tenant.ID, 10) + "/export/history?from="
			var events, size int64
			var elapsed time.Duration
			for b.Loop() {
				t0 := time.Now()
				from := ""
				got := 0
				for {
					req, _ := http.NewRequest("GET", base+url.QueryEscape(from), nil)
					req.Header.Set("Authorization", "Bearer "+token)
					req.Header.Set("ST-App-Key", env.App.AppKey)
					resp, err := client.Do(req)
					if err != nil {
						b.Fatal(err)
					}
					raw, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != http.StatusOK {
						b.Fatalf("export/history: %d %v", resp.StatusCode, err)
					}
					// Read the envelope (it comes first) and count the
					// events; decoding them is the client's business, and
					// would take the server's CPU on a small machine.
					var head struct {
						HasMore      bool   `json:"hasMore"`
						ContinueFrom string `json:"continueFrom"`
					}
					end := bytes.Index(raw, []byte(`,"data":[`))
					if end < 0 || json.Unmarshal(append(raw[:end:end], '}'), &head) != nil {
						b.Fatalf("export/history: unexpected body %.200s", raw)
					}
					got += bytes.Count(raw, []byte(`,"eventType":`))
					size += int64(len(raw))
					from = head.ContinueFrom
					if !head.HasMore {
						break
					}
				}
				if got < n {
					b.Fatalf("exported %d events, want at least %d", got, n)
				}
				events += int64(got)
				elapsed += time.Since(t0)
			}
			b.ReportMetric(float64(events)/elapsed.Seconds(), "events/s")
			b.ReportMetric(float64(size)/float64(events), "B/event")
		})
	}
}
