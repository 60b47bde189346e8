package apps_test

import (
	"context"
	"testing"
	"time"
)

// BenchmarkIssueToken is the token endpoint's domain work on SQLite: one
// read of the app and its secrets, one SHA-256, one ES256 signature.
func BenchmarkIssueToken(b *testing.B) {
	f := newFixture(b)
	f.svc.Now = time.Now
	app, secret := f.create(b, "Bench")
	ctx := context.Background()
	if _, err := f.svc.IssueToken(ctx, app.ClientID, secret, ""); err != nil { // makes the key
		b.Fatal(err)
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.svc.IssueToken(ctx, app.ClientID, secret, ""); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportThroughput(b, cpu0, "tokens/s")
}

// BenchmarkAuthenticate is the check made on every API call.
func BenchmarkAuthenticate(b *testing.B) {
	f := newFixture(b)
	f.svc.Now = time.Now
	app, secret := f.create(b, "Bench")
	ctx := context.Background()
	tok, err := f.svc.IssueToken(ctx, app.ClientID, secret, "")
	if err != nil {
		b.Fatal(err)
	}
	cpu0 := cpuTime()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := f.svc.Authenticate(ctx, tok.AccessToken, app.AppKey); err != nil {
				b.Error(err)
				return
			}
		}
	})
	reportThroughput(b, cpu0, "calls/s")
}

// reportThroughput reports operations per second of wall time, and the CPU
// time one operation costs: on a shared machine the second is the steadier
// figure (capacity on n cores = n s / cpu-µs per op).
func reportThroughput(b *testing.B, cpu0 time.Duration, unit string) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), unit)
	if cpu := cpuTime() - cpu0; cpu > 0 {
		b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/op")
	}
}
