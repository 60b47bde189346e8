package scim_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"crewid"
	"crewid/server/servertest"
	"crewid/store"
	"crewid/store/postgres"
	"crewid/store/sqlite"
)

// BenchmarkSCIMFilter seeds one tenant with 100,000 people (set
// CREWID_BENCH_SCIM_USERS to change it) and measures SCIM filter queries
// over HTTP, as a directory sends them, on each backend. Each query is
// timed on its own; the metrics are the median and the 99th percentile.
// Pages hold up to 100 Users (the default count).
//
//	CREWID_TEST_POSTGRES_URL=... go test ./api/scim -run '^$' -bench BenchmarkSCIMFilter -benchtime 400x -timeout 60m
func BenchmarkSCIMFilter(b *testing.B) {
	users := 100_000
	if v, err := strconv.Atoi(os.Getenv("CREWID_BENCH_SCIM_USERS")); err == nil && v > 0 {
		users = v
	}
	for _, backend := range []string{"sqlite", "postgres"} {
		b.Run(backend, func(b *testing.B) {
			st, settle := benchStore(b, backend)
			env := servertest.Start(b, st)
			start := time.Now()
			seedDirectory(b, env, users, settle)
			if err := settle(); err != nil {
				b.Fatal(err)
			}
			b.Logf("%s: seeded %d people in %s", backend, users, time.Since(start).Round(time.Second))
			client := scimClient{base: env.URL, token: env.Token(b, env.App)}
			rng := rand.New(rand.NewPCG(1, 2))
			queries := []struct {
				name   string
				filter func() string
			}{
				{"userName_eq", func() string {
					return fmt.Sprintf(`userName eq "%s"`, benchEmail(rng.IntN(users)))
				}},
				{"externalId_eq", func() string {
					return fmt.Sprintf(`externalId eq "ext-%07d"`, rng.IntN(users))
				}},
				{"emails_co", func() string {
					// A fragment a handful of people's emails hold.
					return fmt.Sprintf(`emails co "%s.%d"`, familyNames[rng.IntN(len(familyNames))], rng.IntN(users/10))
				}},
				{"familyName_sw_and_active", func() string {
					return fmt.Sprintf(`name.familyName sw "%s" and active eq true`, familyNames[rng.IntN(len(familyNames))][:3])
				}},
				{"work_email_eq", func() string {
					return fmt.Sprintf(`emails[type eq "work"].value eq "%s"`, benchEmail(rng.IntN(users)))
				}},
			}
			for _, q := range queries {
				b.Run(q.name, func(b *testing.B) {
					times := make([]time.Duration, 0, b.N)
					for b.Loop() {
						path := "/Users?count=100&filter=" + url.QueryEscape(q.filter())
						t0 := time.Now()
						status, raw := benchGet(b, client, path)
						times = append(times, time.Since(t0))
						if status != http.StatusOK {
							b.Fatalf("%s: %d %s", path, status, raw)
						}
					}
					slices.Sort(times)
					b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
					b.ReportMetric(float64(times[min(len(times)-1, len(times)*99/100)].Microseconds())/1000, "p99-ms")
				})
			}
		})
	}
}

// benchStore opens a fresh store. settle brings the database to the state
// it has in service after a bulk import: on PostgreSQL, statistics and the
// visibility map that autovacuum would have made by then (VACUUM
// ANALYZE); SQLite keeps no statistics and needs nothing.
func benchStore(b *testing.B, backend string) (store.Store, func() error) {
	if backend == "sqlite" {
		return sqlite.OpenTest(b), func() error { return nil }
	}
	server := postgres.TestURL(b)
	admin, err := sql.Open("pgx", server)
	if err != nil {
		b.Fatal(err)
	}
	name := fmt.Sprintf("crewid_bench_scim_%d", time.Now().UnixNano())
	if _, err := admin.Exec("CREATE DATABASE " + name); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		admin.Exec("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)")
		admin.Close()
	})
	u, err := url.Parse(server)
	if err != nil {
		b.Fatal(err)
	}
	u.Path = "/" + name
	st, err := postgres.Open(context.Background(), u.String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	return st, func() error {
		db, err := sql.Open("pgx", u.String())
		if err != nil {
			return err
		}
		defer db.Close()
		_, err = db.Exec("VACUUM ANALYZE")
		return err
	}
}

func benchGet(b *testing.B, c scimClient, path string) (int, []byte) {
	req, err := http.NewRequest("GET", c.base+"/scim/v2"+path, nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.Fatal(err)
	}
	return resp.StatusCode, body
}

var givenNames = []string{"ann", "bob", "carla", "dmitri", "eve", "farah", "gus", "hana", "ivan", "jo", "kemal", "lena",
	"mario", "nadia", "omar", "pia", "quinn", "rosa", "sven", "tara", "uli", "vera", "wes", "xena", "yuki", "zoe"}

var familyNames = []string{"smith", "jones", "garcia", "miller", "davis", "lopez", "wilson", "anderson", "thomas", "taylor",
	"moore", "jackson", "martin", "lee", "perez", "thompson", "white", "harris", "sanchez", "clark", "ramirez", "lewis",
	"robinson", "walker", "young", "allen", "king", "wright", "scott", "torres", "nguyen", "hill", "flores", "green",
	"adams", "nelson", "baker", "hall", "rivera", "campbell", "mitchell", "carter", "roberts", "gomez", "phillips",
	"evans", "turner", "diaz", "parker", "cruz"}

func benchFamily(i int) string { return familyNames[i%len(familyNames)] }
func benchGiven(i int) string  { return givenNames[(i/len(familyNames))%len(givenNames)] }
func benchEmail(i int) string {
	return fmt.Sprintf("%s.%s.%d@acme-heating.example", benchGiven(i), benchFamily(i), i)
}

// seedDirectory adds people as a directory would have provisioned them:
// name parts, email, externalId, one in ten inactive. It writes through
// the store in large transactions, without history, to keep seeding short.
// settle runs each time the directory has doubled, as autovacuum would
// analyze a growing table: PostgreSQL otherwise keeps planning the
// seeding statements (and their foreign-key checks) for the empty table
// it first saw, and each row costs a scan of all the rows before it.
func seedDirectory(b *testing.B, env *servertest.Env, n int, settle func() error) {
	ctx := context.Background()
	role := env.Roles["OfficeStaff"].ID
	const batch = 2000
	for from := 0; from < n; from += batch {
		err := env.Store.Update(ctx, func(tx store.Tx) error {
			now := time.Now().UTC()
			for i := from; i < min(from+batch, n); i++ {
				p := crewid.Person{TenantID: env.Tenant.ID, Kind: crewid.KindEmployee, Active: i%10 != 0,
					Name:  fmt.Sprintf("%s %s", benchGiven(i), benchFamily(i)),
					Email: benchEmail(i), RoleIDs: []int64{role}, Account: crewid.Account{State: crewid.AccountNone},
					CreatedOn: now, ModifiedOn: now}
				if err := tx.CreatePerson(ctx, &p); err != nil {
					return err
				}
				if err := tx.SetPersonDirectory(ctx, env.Tenant.ID, p.ID, store.PersonDirectory{
					ExternalID: fmt.Sprintf("ext-%07d", i), GivenName: benchGiven(i), FamilyName: benchFamily(i),
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			b.Fatalf("seed: %v", err)
		}
		if batches := from/batch + 1; batches&(batches-1) == 0 {
			if err := settle(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
