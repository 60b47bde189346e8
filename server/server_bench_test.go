package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"crewid"
	"crewid/history"
	"crewid/server/servertest"
	"crewid/store"
	"crewid/store/postgres"
)

// The benchmarks below run the whole server (HTTP, authentication, store)
// over loopback on each backend, against one tenant seeded with
// benchTechnicians technicians. They run only with -bench, e.g.
//
//	go test ./server -run '^$' -bench . -benchtime 3s
//
// cmd/crewid-bench measures the same operations on a million technicians.

const benchTechnicians = 2000

type benchEnv struct {
	env    *servertest.Env
	client *http.Client
	auth   func(*http.Request)
	ids    []int64
}

func newBenchEnv(b *testing.B, backend servertest.Backend) *benchEnv {
	b.Helper()
	env := servertest.Start(b, backend.Open(b))
	ctx := context.Background()
	tenant := env.Tenant.ID
	roleID := env.Roles["Technician"].ID
	actor := crewid.Actor{Type: crewid.ActorOperator, Name: "benchmark"}
	var ids []int64
	// Many technicians per transaction, each with its history event, as
	// crewid-bench seed does.
	for start := 0; start < benchTechnicians; start += 500 {
		err := env.Store.Update(ctx, func(tx store.Tx) error {
			now := time.Now().UTC()
			for i := start; i < min(start+500, benchTechnicians); i++ {
				p := crewid.Person{
					TenantID: tenant, Kind: crewid.KindTechnician,
					Name:        fmt.Sprintf("%s %s", []string{"Rita", "James", "Maria", "Wei"}[i%4], []string{"Ramos", "Smith", "Nguyen", "Larsen", "Okafor"}[i%5]),
					MobilePhone: "+1" + strconv.Itoa(2_000_000_000+i), Active: i%10 != 0,
					RoleIDs: []int64{roleID}, Positions: []string{"Service"}, Skills: []string{"Boilers"},
					Overrides: []crewid.PermissionOverride{}, CustomFields: []crewid.CustomFieldValue{}, ZoneIDs: []int64{},
					LicenseType: crewid.LicenseManagedTech, MobileAccessEnabled: true,
					Account:   crewid.Account{State: crewid.AccountNone},
					CreatedOn: now, ModifiedOn: now,
				}
				if err := tx.CreatePerson(ctx, &p); err != nil {
					return err
				}
				ids = append(ids, p.ID)
				if err := history.Record(ctx, tx, now, actor, history.Change{
					TenantID: tenant, Type: "Technician.Created", RecordType: "Technician", RecordID: p.ID, After: p,
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seed: %v", err)
		}
	}
	token := env.Token(b, env.App)
	transport := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	b.Cleanup(transport.CloseIdleConnections)
	return &benchEnv{
		env:    env,
		client: &http.Client{Transport: transport},
		ids:    ids,
		auth: func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer "+token)
			r.Header.Set("ST-App-Key", env.App.AppKey)
		},
	}
}

// get sends a GET and returns the body, failing the benchmark on any
// status but 200.
func (e *benchEnv) get(b *testing.B, path string) []byte {
	req, err := http.NewRequest(http.MethodGet, e.env.URL+path, nil)
	if err != nil {
		b.Error(err)
		return nil
	}
	e.auth(req)
	resp, err := e.client.Do(req)
	if err != nil {
		b.Error(err)
		return nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		b.Errorf("GET %s: %d %v %s", path, resp.StatusCode, err, body)
	}
	return body
}

// forEachBackend runs fn as a sub-benchmark on every backend. Each
// backend's server is seeded once, on the parent benchmark, because a
// sub-benchmark's function runs several times (and its cleanups after each).
func forEachBackend(b *testing.B, fn func(b *testing.B, e *benchEnv)) {
	for _, backend := range servertest.Backends() {
		if backend.Name == "postgres" && os.Getenv(postgres.TestURLEnv) == "" {
			b.Run(backend.Name, func(b *testing.B) { b.Skip(postgres.TestURLEnv + " is not set") })
			continue
		}
		e := newBenchEnv(b, backend)
		b.Run(backend.Name, func(b *testing.B) { fn(b, e) })
	}
}

// BenchmarkListPage is a filtered list page of 50 technicians with the
// total count.
func BenchmarkListPage(b *testing.B) {
	forEachBackend(b, func(b *testing.B, e *benchEnv) {
		path := fmt.Sprintf("/settings/v2/tenant/%d/technicians?name=ra&active=True&page=3&pageSize=50&includeTotal=true", e.env.Tenant.ID)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				e.get(b, path)
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}

// BenchmarkGetByID reads technicians one by one.
func BenchmarkGetByID(b *testing.B) {
	forEachBackend(b, func(b *testing.B, e *benchEnv) {
		base := fmt.Sprintf("/settings/v2/tenant/%d/technicians/", e.env.Tenant.ID)
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				e.get(b, base+strconv.FormatInt(e.ids[i%len(e.ids)], 10))
				i += 7
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}

// BenchmarkExportResume exports every technician of the tenant, following
// continueFrom until hasMore is false; one op is one whole export.
func BenchmarkExportResume(b *testing.B) {
	forEachBackend(b, func(b *testing.B, e *benchEnv) {
		base := fmt.Sprintf("/settings/v2/tenant/%d/export/technicians", e.env.Tenant.ID)
		records := 0
		b.ResetTimer()
		for range b.N {
			from := ""
			for {
				path := base
				if from != "" {
					path += "?from=" + url.QueryEscape(from)
				}
				var page struct {
					HasMore      bool              `json:"hasMore"`
					ContinueFrom string            `json:"continueFrom"`
					Data         []json.RawMessage `json:"data"`
				}
				if err := json.Unmarshal(e.get(b, path), &page); err != nil {
					b.Fatal(err)
				}
				records += len(page.Data)
				if !page.HasMore {
					break
				}
				from = page.ContinueFrom
			}
		}
		if records != b.N*benchTechnicians {
			b.Fatalf("exported %d records, want %d", records, b.N*benchTechnicians)
		}
		b.ReportMetric(float64(records)/b.Elapsed().Seconds(), "records/s")
	})
}

// BenchmarkToken is the client-credentials grant over HTTP.
func BenchmarkToken(b *testing.B) {
	forEachBackend(b, func(b *testing.B, e *benchEnv) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {e.env.App.ClientID},
			"client_secret": {e.env.App.ClientSecret}}.Encode()
		b.ResetTimer()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				resp, err := e.client.Post(e.env.URL+"/connect/token", "application/x-www-form-urlencoded", strings.NewReader(form))
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
	})
}
