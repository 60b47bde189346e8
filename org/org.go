// Package org holds the rules of a company's settings records: business
// units, tag types, teams, zones and custom field types. Each change is
// checked here and saved with its history event in one transaction.
package org

import (
	"context"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode"

	"crewid"
	"crewid/history"
	"crewid/store"
)

// Service applies the settings rules on top of the store.
type Service struct {
	Store store.Store
	Now   func() time.Time
}

// now is the time of a change, to the microsecond: the precision the store
// keeps, so that a record returned by a create (a team) shows the same times
// as when it is read back, and can be used as a list filter bound.
func (s *Service) now() time.Time { return s.Now().UTC().Truncate(time.Microsecond) }

// record is what the generic create/update/delete steps need of a record.
type record[T any] struct {
	kind     string // record type in history, e.g. "BusinessUnit"
	get      func(ctx context.Context, r store.Reader, tenantID, id int64) (T, error)
	create   func(ctx context.Context, tx store.Tx, v *T) error
	update   func(ctx context.Context, tx store.Tx, v *T) error
	delete   func(ctx context.Context, tx store.Tx, tenantID, id int64) error
	validate func(ctx context.Context, tx store.Tx, tenantID int64, before, after *T) error
	id       func(v *T) int64
	stamp    func(v *T, tenantID int64, now time.Time, created bool)
}

// createRecord validates v and inserts it with a "<Kind>.Created" event.
func createRecord[T any](ctx context.Context, s *Service, actor crewid.Actor, tenantID int64, rec record[T], v T) (T, error) {
	var created T
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		var err error
		created, err = createRecordTx(ctx, tx, s, actor, tenantID, rec, v)
		return err
	})
	return created, err
}

// createRecordTx is createRecord inside the caller's transaction.
func createRecordTx[T any](ctx context.Context, tx store.Tx, s *Service, actor crewid.Actor, tenantID int64, rec record[T], v T) (T, error) {
	now := s.now()
	rec.stamp(&v, tenantID, now, true)
	if err := rec.validate(ctx, tx, tenantID, nil, &v); err != nil {
		return v, err
	}
	if err := rec.create(ctx, tx, &v); err != nil {
		return v, err
	}
	return v, history.Record(ctx, tx, now, actor, history.Change{
		TenantID: tenantID, Type: rec.kind + ".Created", RecordType: rec.kind, RecordID: rec.id(&v), After: v,
	})
}

// updateRecord loads a record, lets edit change a copy, validates and saves
// it with a "<Kind>.Updated" event.
func updateRecord[T any](ctx context.Context, s *Service, actor crewid.Actor, tenantID, id int64, rec record[T], clone func(T) T, edit func(*T) error) (T, error) {
	var after T
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		var err error
		after, err = updateRecordTx(ctx, tx, s, actor, tenantID, id, rec, clone, edit)
		return err
	})
	return after, err
}

// updateRecordTx is updateRecord inside the caller's transaction.
func updateRecordTx[T any](ctx context.Context, tx store.Tx, s *Service, actor crewid.Actor, tenantID, id int64, rec record[T], clone func(T) T, edit func(*T) error) (T, error) {
	var after T
	now := s.now()
	if err := tx.LockTenant(ctx, tenantID); err != nil {
		return after, err
	}
	before, err := rec.get(ctx, tx, tenantID, id)
	if err != nil {
		return after, err
	}
	after = clone(before)
	if err := edit(&after); err != nil {
		return after, err
	}
	if err := rec.validate(ctx, tx, tenantID, &before, &after); err != nil {
		return after, err
	}
	if reflect.DeepEqual(after, before) {
		// Nothing changed: no write, no event, and modifiedOn stays.
		return before, nil
	}
	rec.stamp(&after, tenantID, now, false)
	if err := rec.update(ctx, tx, &after); err != nil {
		return after, err
	}
	return after, history.Record(ctx, tx, now, actor, history.Change{
		TenantID: tenantID, Type: rec.kind + ".Updated", RecordType: rec.kind, RecordID: id, Before: before, After: after,
	})
}

// deleteRecord removes a record with a "<Kind>.Deleted" event. A record
// still referred to stays, and the store answers Conflict.
func deleteRecord[T any](ctx context.Context, s *Service, actor crewid.Actor, tenantID, id int64, rec record[T]) error {
	return s.Store.Update(ctx, func(tx store.Tx) error {
		return deleteRecordTx(ctx, tx, s, actor, tenantID, id, rec)
	})
}

// deleteRecordTx is deleteRecord inside the caller's transaction.
func deleteRecordTx[T any](ctx context.Context, tx store.Tx, s *Service, actor crewid.Actor, tenantID, id int64, rec record[T]) error {
	if err := tx.LockTenant(ctx, tenantID); err != nil {
		return err
	}
	before, err := rec.get(ctx, tx, tenantID, id)
	if err != nil {
		return err
	}
	if err := rec.delete(ctx, tx, tenantID, id); err != nil {
		return err
	}
	return history.Record(ctx, tx, s.now(), actor, history.Change{
		TenantID: tenantID, Type: rec.kind + ".Deleted", RecordType: rec.kind, RecordID: id, Before: before,
	})
}

// Field checks shared by the records.

const maxText = 255

func cleanName(p crewid.Problems, name string) string {
	name = cleanText(p, "name", name, maxText)
	if name == "" {
		p.Add("name", "A name is required.")
	}
	return name
}

func cleanText(p crewid.Problems, field, s string, max int) string {
	s = strings.TrimSpace(s)
	if len(s) > max {
		p.Add(field, "The value is too long.")
	}
	for _, r := range s {
		if r == unicode.ReplacementChar || (unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t') {
			p.Add(field, "The value contains characters that are not allowed.")
			break
		}
	}
	return s
}

func cleanStrings(p crewid.Problems, field string, items []string) []string {
	out := []string{}
	if len(items) > 1000 {
		p.Add(field, "Too many entries.")
		return out
	}
	for _, item := range items {
		item = cleanText(p, field, item, maxText)
		if item != "" && !slices.Contains(out, item) {
			out = append(out, item)
		}
	}
	return out
}

var hexColor = regexp.MustCompile(`^#[0-9A-Fa-f]{6}$`)

func checkRate(p crewid.Problems, field string, v *float64) {
	if v != nil && (math.IsNaN(*v) || *v < 0 || *v > 100) {
		p.Add(field, "The rate must be from 0 to 100.")
	}
}
