package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"crewid"
	"crewid/history"
	"crewid/org"
	"crewid/people"
	"crewid/store"
)

// benchTenantPrefix names the tenants seed creates, "Bench Co 0001" …; run
// uses only these.
const benchTenantPrefix = "Bench Co "

// seedActor is who the seeded records' history names.
var seedActor = crewid.Actor{Type: crewid.ActorOperator, Name: "crewid-bench seed"}

func seedCommand(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	dsn := fs.String("database", "", "database: sqlite:PATH or postgres://… (required)")
	tenants := fs.Int("tenants", 1000, "tenants to have")
	perTenant := fs.Int("per-tenant", 1000, "technicians to have in each tenant")
	batch := fs.Int("batch", 1000, "technicians per transaction")
	workers := fs.Int("workers", 0, "tenants seeded at once (default 1 on SQLite, 4 on PostgreSQL)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dsn == "" {
		return errors.New("--database is required")
	}
	if *tenants < 1 || *perTenant < 0 || *batch < 1 {
		return errors.New("--tenants and --batch must be positive, --per-tenant not negative")
	}
	st, isSQLite, err := openStore(ctx, *dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	if *workers <= 0 {
		*workers = 4
		if isSQLite {
			*workers = 1 // one writer connection: more would only queue
		}
	}
	s := &seeder{store: st, org: &org.Service{Store: st, Now: time.Now}, perTenant: *perTenant, batch: *batch}
	return s.seed(ctx, *tenants, *workers)
}

type seeder struct {
	store     store.Store
	org       *org.Service
	perTenant int
	batch     int

	added atomic.Int64
}

func (s *seeder) seed(ctx context.Context, wantTenants, workers int) error {
	start := time.Now()
	tenants, err := benchTenants(ctx, s.store)
	if err != nil {
		return err
	}
	have := map[string]bool{}
	for _, t := range tenants {
		have[t.Name] = true
	}
	created := 0
	for i := 1; i <= wantTenants; i++ {
		name := tenantName(i)
		if have[name] {
			continue
		}
		if _, _, err := s.org.CreateTenant(ctx, seedActor, name); err != nil {
			return fmt.Errorf("create tenant %q: %w", name, err)
		}
		created++
	}
	if tenants, err = benchTenants(ctx, s.store); err != nil {
		return err
	}
	if len(tenants) > wantTenants {
		tenants = tenants[:wantTenants]
	}
	fmt.Printf("tenants: %d created, %d in all (%.1fs)\n", created, len(tenants), time.Since(start).Seconds())

	seedStart := time.Now()
	work := make(chan crewid.Tenant)
	errc := make(chan error, workers)
	var wg sync.WaitGroup
	var done atomic.Int64
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range work {
				if err := s.seedTenant(ctx, t); err != nil {
					errc <- fmt.Errorf("tenant %d: %w", t.ID, err)
					return
				}
				if n := done.Add(1); n%50 == 0 || int(n) == len(tenants) {
					el := time.Since(seedStart).Seconds()
					fmt.Printf("  %4d/%d tenants, %8d technicians added, %.0f rows/s\n",
						n, len(tenants), s.added.Load(), float64(s.added.Load())/el)
				}
			}
		}()
	}
	var sendErr error
feed:
	for _, t := range tenants {
		select {
		case work <- t:
		case sendErr = <-errc:
			break feed
		case <-ctx.Done():
			sendErr = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(errc)
	if sendErr != nil {
		return sendErr
	}
	if err := <-errc; err != nil {
		return err
	}
	el := time.Since(seedStart)
	added := s.added.Load()
	fmt.Printf("technicians: %d added in %.1fs (%.0f rows/s, each with its roles row and history event)\n",
		added, el.Seconds(), float64(added)/el.Seconds())
	fmt.Printf("seed total: %.1fs\n", time.Since(start).Seconds())
	return nil
}

func tenantName(i int) string { return fmt.Sprintf("%s%04d", benchTenantPrefix, i) }

// benchTenants returns the tenants seed made, in id order.
func benchTenants(ctx context.Context, st store.Reader) ([]crewid.Tenant, error) {
	all, err := st.Tenants(ctx)
	if err != nil {
		return nil, err
	}
	var out []crewid.Tenant
	for _, t := range all {
		if strings.HasPrefix(t.Name, benchTenantPrefix) {
			out = append(out, t)
		}
	}
	return out, nil
}

// seedTenant adds the technicians the tenant lacks, batch by batch.
func (s *seeder) seedTenant(ctx context.Context, t crewid.Tenant) error {
	count, err := s.store.People(ctx, t.ID, store.PersonQuery{Kind: crewid.KindTechnician,
		ListQuery: store.ListQuery{Active: store.ActiveAny, PageSize: 1, IncludeTotal: true}})
	if err != nil {
		return err
	}
	roles, err := s.store.Roles(ctx, t.ID, store.RoleQuery{EmployeeType: crewid.EmployeeTypeTechnician,
		ListQuery: store.ListQuery{PageSize: 1000}})
	if err != nil {
		return err
	}
	var roleIDs []int64
	for _, r := range roles.Items {
		if r.EmployeeType == crewid.EmployeeTypeTechnician {
			roleIDs = append(roleIDs, r.ID)
		}
	}
	if len(roleIDs) == 0 {
		return errors.New("the tenant has no technician role")
	}
	for next := count.Total; next < s.perTenant; next += s.batch {
		end := min(next+s.batch, s.perTenant)
		err := s.store.Update(ctx, func(tx store.Tx) error {
			now := time.Now().UTC()
			for i := next; i < end; i++ {
				p := technician(t.ID, i, roleIDs, now)
				if err := tx.CreatePerson(ctx, &p); err != nil {
					return err
				}
				if err := history.Record(ctx, tx, now, seedActor, history.Change{
					TenantID: t.ID, Type: "Technician.Created", RecordType: "Technician", RecordID: p.ID, After: p,
				}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.added.Add(int64(end - next))
	}
	return nil
}

var (
	firstNames = []string{"James", "Maria", "Robert", "Linda", "Michael", "Patricia", "David", "Jennifer", "Carlos",
		"Elizabeth", "Daniel", "Susan", "Matthew", "Jessica", "Anthony", "Sarah", "Mark", "Karen", "Luis", "Nancy",
		"Steven", "Lisa", "Andrew", "Betty", "Joshua", "Sandra", "Kevin", "Ashley", "Brian", "Rita", "Jose", "Emily",
		"Ryan", "Donna", "Jacob", "Michelle", "Gary", "Carol", "Nicholas", "Amanda", "Eric", "Melissa", "Jonathan",
		"Deborah", "Tyler", "Stephanie", "Aaron", "Rebecca", "Wei", "Priya"}
	lastNames = []string{"Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez",
		"Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson",
		"Martin", "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
		"Walker", "Young", "Allen", "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams",
		"Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Ramos", "Patel", "Kowalski", "Okafor",
		"Schmidt", "Ivanova", "Tanaka", "Dubois", "Larsen", "Novak", "Haddad"}
	skills   = []string{"Boilers", "Heat pumps", "Ductwork", "Water heaters", "Backflow", "Panels", "EV chargers", "Refrigerant"}
	licenses = []crewid.LicenseType{crewid.LicenseManagedTech, crewid.LicenseManagedTech, crewid.LicenseNonManagedTech, crewid.LicenseManagedInstaller}
)

// technician makes the i-th technician of a tenant, the same on every run
// so that a resumed seed continues where it stopped. Mobile numbers are
// unique across tenants; half have an email; one in ten is inactive.
func technician(tenantID int64, i int, roleIDs []int64, now time.Time) crewid.Person {
	rng := rand.New(rand.NewPCG(uint64(tenantID), uint64(i)))
	first, last := firstNames[rng.IntN(len(firstNames))], lastNames[rng.IntN(len(lastNames))]
	p := crewid.Person{
		TenantID:            tenantID,
		Kind:                crewid.KindTechnician,
		Name:                first + " " + last,
		MobilePhone:         "+1" + strconv.FormatInt(2_000_000_000+tenantID*10_000+int64(i), 10),
		Active:              rng.IntN(10) != 0,
		RoleIDs:             []int64{roleIDs[rng.IntN(len(roleIDs))]},
		Overrides:           []crewid.PermissionOverride{},
		Positions:           []string{people.TechnicianPositions[rng.IntN(len(people.TechnicianPositions))]},
		Skills:              []string{skills[rng.IntN(len(skills))]},
		CustomFields:        []crewid.CustomFieldValue{},
		LicenseType:         licenses[rng.IntN(len(licenses))],
		MobileAccessEnabled: true,
		ZoneIDs:             []int64{},
		TruckID:             int64(100 + rng.IntN(900)),
		DailyGoal:           float64(500 + 50*rng.IntN(20)),
		Account:             crewid.Account{State: crewid.AccountNone},
		// Spread over the last two years so date filters have something to do.
		CreatedOn: now.Add(-time.Duration(rng.IntN(730*24)) * time.Hour).Truncate(time.Microsecond),
	}
	p.ModifiedOn = p.CreatedOn
	if rng.IntN(2) == 0 {
		p.Email = strings.ToLower(first+"."+last+"."+strconv.FormatInt(tenantID, 10)+"."+strconv.Itoa(i)) + "@example.com"
	}
	return p
}

// stderrf prints a progress or warning line.
func stderrf(format string, args ...any) { fmt.Fprintf(os.Stderr, format, args...) }
