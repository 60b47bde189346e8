package storetest

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"
	"time"

	"crewid"
	"crewid/store"
)

// exportSpec describes one export operation for the shared export tests.
type exportSpec[T any] struct {
	create func(c context.Context, tx store.Tx, tenantID int64, i int, active bool, modified time.Time) (T, error)
	// other, when set, creates a record in the same tenant that this export
	// must not show (a person of the other kind).
	other func(c context.Context, tx store.Tx, tenantID int64, i int) error
	// touch changes the record and returns it with its new Seq.
	touch  func(c context.Context, tx store.Tx, tenantID, id int64, modified time.Time) (T, error)
	get    func(c context.Context, r store.Reader, tenantID, id int64) (T, error)
	export func(c context.Context, r store.Reader, tenantID int64, q store.ExportQuery) (store.Batch[T], error)
	id     func(T) int64
	seq    func(T) int64
}

func personExportSpec(kind crewid.Kind) exportSpec[crewid.Person] {
	otherKind := crewid.KindEmployee
	if kind == crewid.KindEmployee {
		otherKind = crewid.KindTechnician
	}
	return exportSpec[crewid.Person]{
		create: func(c context.Context, tx store.Tx, tenantID int64, i int, active bool, modified time.Time) (crewid.Person, error) {
			p := person(kind, tenantID, fmt.Sprint("Export Person ", i))
			p.Active, p.ModifiedOn = active, modified
			p.Email = fmt.Sprintf("export%d@example.com", i)
			err := tx.CreatePerson(c, &p)
			return p, err
		},
		other: func(c context.Context, tx store.Tx, tenantID int64, i int) error {
			p := person(otherKind, tenantID, fmt.Sprint("Other Kind ", i))
			p.Email = fmt.Sprintf("export%d@example.com", i)
			return tx.CreatePerson(c, &p)
		},
		touch: func(c context.Context, tx store.Tx, tenantID, id int64, modified time.Time) (crewid.Person, error) {
			p, err := tx.Person(c, tenantID, id)
			if err != nil {
				return p, err
			}
			p.Name += "+"
			p.ModifiedOn = modified
			err = tx.UpdatePerson(c, &p)
			return p, err
		},
		get: func(c context.Context, r store.Reader, tenantID, id int64) (crewid.Person, error) {
			return r.Person(c, tenantID, id)
		},
		export: func(c context.Context, r store.Reader, tenantID int64, q store.ExportQuery) (store.Batch[crewid.Person], error) {
			return r.ExportPeople(c, tenantID, kind, q)
		},
		id:  personID,
		seq: func(p crewid.Person) int64 { return p.Seq },
	}
}

var businessUnitExportSpec = exportSpec[crewid.BusinessUnit]{
	create: func(c context.Context, tx store.Tx, tenantID int64, i int, active bool, modified time.Time) (crewid.BusinessUnit, error) {
		b := crewid.BusinessUnit{TenantID: tenantID, Name: fmt.Sprint("Export Unit ", i), Active: active, CreatedOn: at(0), ModifiedOn: modified}
		err := tx.CreateBusinessUnit(c, &b)
		return b, err
	},
	touch: func(c context.Context, tx store.Tx, tenantID, id int64, modified time.Time) (crewid.BusinessUnit, error) {
		b, err := tx.BusinessUnit(c, tenantID, id)
		if err != nil {
			return b, err
		}
		b.Name += "+"
		b.ModifiedOn = modified
		err = tx.UpdateBusinessUnit(c, &b)
		return b, err
	},
	get: func(c context.Context, r store.Reader, tenantID, id int64) (crewid.BusinessUnit, error) {
		return r.BusinessUnit(c, tenantID, id)
	},
	export: func(c context.Context, r store.Reader, tenantID int64, q store.ExportQuery) (store.Batch[crewid.BusinessUnit], error) {
		return r.ExportBusinessUnits(c, tenantID, q)
	},
	id:  func(b crewid.BusinessUnit) int64 { return b.ID },
	seq: func(b crewid.BusinessUnit) int64 { return b.Seq },
}

var tagTypeExportSpec = exportSpec[crewid.TagType]{
	create: func(c context.Context, tx store.Tx, tenantID int64, i int, active bool, modified time.Time) (crewid.TagType, error) {
		x := crewid.TagType{TenantID: tenantID, Name: fmt.Sprint("Export Tag ", i), Color: "#ffffff", Code: fmt.Sprint("E", i),
			Active: active, CreatedOn: at(0), ModifiedOn: modified}
		err := tx.CreateTagType(c, &x)
		return x, err
	},
	touch: func(c context.Context, tx store.Tx, tenantID, id int64, modified time.Time) (crewid.TagType, error) {
		x, err := tx.TagType(c, tenantID, id)
		if err != nil {
			return x, err
		}
		x.Name += "+"
		x.ModifiedOn = modified
		err = tx.UpdateTagType(c, &x)
		return x, err
	},
	get: func(c context.Context, r store.Reader, tenantID, id int64) (crewid.TagType, error) {
		return r.TagType(c, tenantID, id)
	},
	export: func(c context.Context, r store.Reader, tenantID int64, q store.ExportQuery) (store.Batch[crewid.TagType], error) {
		return r.ExportTagTypes(c, tenantID, q)
	},
	id:  func(x crewid.TagType) int64 { return x.ID },
	seq: func(x crewid.TagType) int64 { return x.Seq },
}

func testExports(t *testing.T, s store.Store) {
	t.Run("Technicians", func(t *testing.T) { runExport(t, s, personExportSpec(crewid.KindTechnician)) })
	t.Run("Employees", func(t *testing.T) { runExport(t, s, personExportSpec(crewid.KindEmployee)) })
	t.Run("BusinessUnits", func(t *testing.T) { runExport(t, s, businessUnitExportSpec) })
	t.Run("TagTypes", func(t *testing.T) { runExport(t, s, tagTypeExportSpec) })
	t.Run("ConcurrentTechnicians", func(t *testing.T) { runExportConcurrent(t, s, personExportSpec(crewid.KindTechnician)) })
	t.Run("ConcurrentBusinessUnits", func(t *testing.T) { runExportConcurrent(t, s, businessUnitExportSpec) })
	t.Run("ConcurrentTagTypes", func(t *testing.T) { runExportConcurrent(t, s, tagTypeExportSpec) })
	t.Run("ZoneMembership", func(t *testing.T) { testExportZoneMembership(t, s) })
}

// testExportZoneMembership: a technician's zones are part of the technician
// (Person.ZoneIDs, and zoneIds in the technician export), so setting a
// zone's technicians from the zone side is a change of each technician who
// joins or leaves, and an export resuming from before it must carry their
// new zones.
func testExportZoneMembership(t *testing.T, s store.Store) {
	c := ctx(t)
	tn := newTenant(t, s, "Zone Exports")
	stays := createPerson(t, s, technician(tn.ID, "Stays"))
	leaves := createPerson(t, s, technician(tn.ID, "Leaves"))
	joins := createPerson(t, s, technician(tn.ID, "Joins"))
	z := createZone(t, s, tn.ID, "North", stays.ID, leaves.ID)
	drained := func() int64 {
		b := exportPage(t, s, personExportSpec(crewid.KindTechnician), tn.ID, store.ExportQuery{AfterSeq: 0, Limit: 1000})
		return b.LastSeq
	}
	after := drained()

	// pages resumes from after one record at a time, as a client with a
	// small page size would: records sharing a Seq must not be skipped.
	pages := func(after int64) []crewid.Person {
		var out []crewid.Person
		for range 100 {
			b := exportPage(t, s, personExportSpec(crewid.KindTechnician), tn.ID, store.ExportQuery{AfterSeq: after, Limit: 1})
			out = append(out, b.Items...)
			after = b.LastSeq
			if !b.HasMore {
				break
			}
		}
		return out
	}

	z.Technicians = []int64{stays.ID, joins.ID}
	update(t, s, func(tx store.Tx) error { return tx.UpdateZone(c, &z) })
	exported := pages(after)
	got := map[int64][]int64{}
	for _, p := range exported {
		got[p.ID] = p.ZoneIDs
	}
	for _, tc := range []struct {
		who   string
		p     crewid.Person
		zones []int64
	}{{"the technician who left", leaves, nil}, {"the technician who joined", joins, []int64{z.ID}}} {
		zones, ok := got[tc.p.ID]
		if !ok {
			t.Errorf("UpdateZone changed the zones of %s (person %d), but an export resuming from Seq %d one record per page does not carry them (got people %v)",
				tc.who, tc.p.ID, after, pageIDs(exported, personID))
			continue
		}
		checkIDs(t, "exported zones of "+tc.who, tc.zones, zones)
	}

	// The same when a zone is created with technicians.
	after = drained()
	z2 := createZone(t, s, tn.ID, "South", stays.ID)
	exported = pages(after)
	found := false
	for _, p := range exported {
		if p.ID == stays.ID {
			found = true
			checkIDs(t, "exported zones after CreateZone", sortedIDs(z.ID, z2.ID), sortedIDs(p.ZoneIDs...))
		}
	}
	if !found {
		t.Errorf("CreateZone put person %d in a new zone, but an export resuming from Seq %d does not carry it (got people %v)",
			stays.ID, after, pageIDs(exported, personID))
	}
}

// exportPage runs one export call and checks what every batch must hold:
// seqs above AfterSeq, in increasing order, and LastSeq where the next page
// resumes.
func exportPage[T any](t *testing.T, s store.Reader, spec exportSpec[T], tenantID int64, q store.ExportQuery) store.Batch[T] {
	t.Helper()
	b, err := spec.export(ctx(t), s, tenantID, q)
	if err != nil {
		t.Fatalf("export %+v: %v", q, err)
	}
	prev := q.AfterSeq
	for _, it := range b.Items {
		if spec.seq(it) <= prev {
			t.Errorf("export %+v: record %d has Seq %d, not above the previous %d (want Seq order, after AfterSeq)", q, spec.id(it), spec.seq(it), prev)
		}
		prev = spec.seq(it)
	}
	if q.Limit > 0 && len(b.Items) > q.Limit {
		t.Errorf("export %+v: %d items, more than the limit", q, len(b.Items))
	}
	// An empty batch stays where it started, except by date: then it
	// moves to the end of the feed, all of which is older than the date.
	if len(b.Items) == 0 && q.ModifiedOnOrAfter.IsZero() && b.LastSeq != q.AfterSeq {
		t.Errorf("export %+v: empty batch with LastSeq %d, want AfterSeq %d", q, b.LastSeq, q.AfterSeq)
	}
	if len(b.Items) == 0 && b.LastSeq < q.AfterSeq {
		t.Errorf("export %+v: empty batch with LastSeq %d, behind AfterSeq %d", q, b.LastSeq, q.AfterSeq)
	}
	if len(b.Items) > 0 && b.LastSeq != prev {
		t.Errorf("export %+v: LastSeq %d, want the last item's Seq %d", q, b.LastSeq, prev)
	}
	return b
}

func runExport[T any](t *testing.T, s store.Store, spec exportSpec[T]) {
	c := ctx(t)
	tn := newTenant(t, s, "Exports")
	recs := make([]T, 5)
	for i := range recs {
		update(t, s, func(tx store.Tx) error {
			if spec.other != nil {
				if err := spec.other(c, tx, tn.ID, i); err != nil {
					return err
				}
			}
			var err error
			recs[i], err = spec.create(c, tx, tn.ID, i, i%2 == 0, at(time.Duration(i)*time.Minute))
			return err
		})
		// Read back: only CreatePerson promises to set Seq on its argument.
		var err error
		recs[i], err = spec.get(c, s, tn.ID, spec.id(recs[i]))
		must(t, "get", err)
		if i > 0 && spec.seq(recs[i]) <= spec.seq(recs[i-1]) {
			t.Errorf("record %d: Seq %d, not above the previous record's %d", i, spec.seq(recs[i]), spec.seq(recs[i-1]))
		}
	}
	ids := func(xs []T) []int64 { return pageIDs(xs, spec.id) }
	rid := func(idx ...int) []int64 {
		out := make([]int64, len(idx))
		for i, x := range idx {
			out[i] = spec.id(recs[x])
		}
		return out
	}

	// Pages of two, inactive records included, then an empty page.
	var after int64
	for i, want := range []struct {
		ids  []int64
		more bool
	}{{rid(0, 1), true}, {rid(2, 3), true}, {rid(4), false}, {nil, false}} {
		b := exportPage(t, s, spec, tn.ID, store.ExportQuery{AfterSeq: after, Limit: 2})
		checkIDs(t, fmt.Sprintf("export page %d", i+1), want.ids, ids(b.Items))
		if b.HasMore != want.more {
			t.Errorf("export page %d: HasMore %v, want %v", i+1, b.HasMore, want.more)
		}
		for _, it := range b.Items {
			one, err := spec.get(c, s, tn.ID, spec.id(it))
			must(t, "get", err)
			check(t, fmt.Sprintf("exported record %d vs the same read by id", spec.id(it)), one, it)
		}
		after = b.LastSeq
	}

	// A change moves the record to the end of the change order.
	var touched T
	update(t, s, func(tx store.Tx) error {
		var err error
		touched, err = spec.touch(c, tx, tn.ID, spec.id(recs[1]), at(10*time.Minute))
		return err
	})
	touched, err := spec.get(c, s, tn.ID, spec.id(touched))
	must(t, "get", err)
	if spec.seq(touched) <= spec.seq(recs[4]) {
		t.Errorf("update set Seq %d, want above every earlier Seq (last %d)", spec.seq(touched), spec.seq(recs[4]))
	}
	b := exportPage(t, s, spec, tn.ID, store.ExportQuery{AfterSeq: after, Limit: 2})
	checkIDs(t, "export resumed after an update", rid(1), ids(b.Items))
	if len(b.Items) == 1 && spec.seq(b.Items[0]) != spec.seq(touched) {
		t.Errorf("resumed export: Seq %d, want the update's %d", spec.seq(b.Items[0]), spec.seq(touched))
	}
	b = exportPage(t, s, spec, tn.ID, store.ExportQuery{Limit: 100})
	checkIDs(t, "full export after an update", rid(0, 2, 3, 4, 1), ids(b.Items))
	if b.HasMore {
		t.Errorf("full export: HasMore true, want false")
	}
	b = exportPage(t, s, spec, tn.ID, store.ExportQuery{})
	checkIDs(t, "export without a limit", rid(0, 2, 3, 4, 1), ids(b.Items))

	// ModifiedOnOrAfter, paged.
	after = 0
	for i, want := range []struct {
		ids  []int64
		more bool
	}{{rid(3), true}, {rid(4), true}, {rid(1), false}} {
		b := exportPage(t, s, spec, tn.ID, store.ExportQuery{AfterSeq: after, ModifiedOnOrAfter: at(3 * time.Minute), Limit: 1})
		checkIDs(t, fmt.Sprintf("export modified since 3m, page %d", i+1), want.ids, ids(b.Items))
		if b.HasMore != want.more {
			t.Errorf("export modified since 3m, page %d: HasMore %v, want %v", i+1, b.HasMore, want.more)
		}
		after = b.LastSeq
	}
	b = exportPage(t, s, spec, tn.ID, store.ExportQuery{ModifiedOnOrAfter: at(3 * time.Minute).UTC()})
	checkIDs(t, "export modified since 3m (UTC)", rid(3, 4, 1), ids(b.Items))

	// A date after every change: an empty page whose position is the end
	// of the feed, not its start; what changes next comes after it.
	b = exportPage(t, s, spec, tn.ID, store.ExportQuery{ModifiedOnOrAfter: at(time.Hour)})
	checkIDs(t, "export modified since an hour from now", nil, ids(b.Items))
	if b.LastSeq == 0 || b.HasMore {
		t.Errorf("empty export by date: LastSeq %d, HasMore %v; want the end of the feed", b.LastSeq, b.HasMore)
	}
	b = exportPage(t, s, spec, tn.ID, store.ExportQuery{AfterSeq: b.LastSeq})
	checkIDs(t, "export after the position of an empty page by date", nil, ids(b.Items))

	// Another tenant sees nothing.
	other := newTenant(t, s, "Empty")
	b = exportPage(t, s, spec, other.ID, store.ExportQuery{})
	checkIDs(t, "export of another tenant", nil, ids(b.Items))
	if b.HasMore {
		t.Errorf("export of an empty tenant: HasMore true")
	}
}

// runExportConcurrent exports with a small limit while writers create and
// change records: the exporter must never see one version twice and, once
// the writers stop and it drains, must have seen every record's latest
// version. Several writers run at once so that commits race for change
// numbers.
func runExportConcurrent[T any](t *testing.T, s store.Store, spec exportSpec[T]) {
	c := ctx(t)
	tn := newTenant(t, s, "Concurrent Exports")
	const writers, ops = 3, 30

	// Each writer owns its slot of created and errs until running drops to 0.
	created := make([][]int64, writers)
	errs := make([]error, writers)
	var running atomic.Int32
	running.Store(writers)
	for w := range writers {
		go func() {
			defer running.Add(-1)
			rng := rand.New(rand.NewPCG(uint64(w), 2))
			for op := range ops {
				n := w*ops + op // unique across writers, for unique fields
				var newID int64
				err := s.Update(c, func(tx store.Tx) error {
					newID = 0
					if spec.other != nil && op%5 == 4 {
						return spec.other(c, tx, tn.ID, n)
					}
					mine := created[w]
					if len(mine) < 3 || rng.IntN(10) < 4 {
						r, err := spec.create(c, tx, tn.ID, n, op%3 != 0, at(time.Duration(n)*time.Second))
						newID = spec.id(r)
						return err
					}
					_, err := spec.touch(c, tx, tn.ID, mine[rng.IntN(len(mine))], at(time.Duration(n)*time.Second))
					return err
				})
				if err != nil {
					errs[w] = fmt.Errorf("writer %d op %d: %w", w, op, err)
					return
				}
				if newID != 0 {
					created[w] = append(created[w], newID)
				}
			}
		}()
	}

	seen := map[[2]int64]bool{}
	var after int64
	batches := 0
	drain := func() {
		for {
			b, err := spec.export(c, s, tn.ID, store.ExportQuery{AfterSeq: after, Limit: 3})
			if err != nil {
				t.Fatalf("export after %d: %v", after, err)
			}
			batches++
			for _, it := range b.Items {
				key := [2]int64{spec.id(it), spec.seq(it)}
				if seen[key] {
					t.Errorf("export saw record %d at Seq %d twice", key[0], key[1])
				}
				seen[key] = true
				if key[1] <= after {
					t.Errorf("export after %d returned record %d at Seq %d", after, key[0], key[1])
				}
			}
			if len(b.Items) > 0 && b.LastSeq != spec.seq(b.Items[len(b.Items)-1]) {
				t.Errorf("LastSeq %d, want the last item's Seq %d", b.LastSeq, spec.seq(b.Items[len(b.Items)-1]))
			}
			if b.LastSeq < after {
				t.Fatalf("LastSeq went back from %d to %d", after, b.LastSeq)
			}
			after = b.LastSeq
			if !b.HasMore {
				return
			}
		}
	}
	for {
		finished := running.Load() == 0
		drain()
		if finished {
			break
		}
	}
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d export calls during %d writes", batches, writers*ops)

	// Every record's latest version was seen.
	var all []int64
	for _, ids := range created {
		all = append(all, ids...)
	}
	if len(all) == 0 {
		t.Fatal("the writers created nothing")
	}
	for _, id := range all {
		r, err := spec.get(c, s, tn.ID, id)
		must(t, "get", err)
		if !seen[[2]int64{id, spec.seq(r)}] {
			t.Errorf("export never saw record %d at its latest Seq %d", id, spec.seq(r))
		}
	}
	ids := map[int64]bool{}
	for key := range seen {
		ids[key[0]] = true
	}
	if len(ids) != len(all) {
		t.Errorf("export saw %d distinct records, the writers created %d", len(ids), len(all))
	}
}
