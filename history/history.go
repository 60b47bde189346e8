// Package history turns changes into history events. Every change is
// recorded in the transaction that makes it, so the history can never miss a
// committed change nor show one that was rolled back.
package history

import (
	"context"
	"encoding/json"
	"reflect"
	"time"
	"unicode"
	"unicode/utf8"

	"crewid"
	"crewid/store"
)

// Change describes one change to one record.
type Change struct {
	TenantID   int64
	Type       string // e.g. "Technician.Created"
	RecordType string // e.g. "Technician"
	RecordID   int64
	// Before and After are the record's values; nil for a creation's
	// Before or a deletion's After.
	Before, After any
}

// Record appends the event for c to tx.
func Record(ctx context.Context, tx store.Tx, now time.Time, actor crewid.Actor, c Change) error {
	e := crewid.Event{
		TenantID:   c.TenantID,
		OccurredOn: now,
		Type:       c.Type,
		RecordType: c.RecordType,
		RecordID:   c.RecordID,
		Actor:      actor,
		Before:     Snapshot(c.Before),
		After:      Snapshot(c.After),
	}
	return tx.AppendEvent(ctx, &e)
}

// secretFields are never written to history, whatever record holds them.
var secretFields = map[string]bool{
	"PasswordHash":  true,
	"Hash":          true,
	"PrivateKeyPEM": true,
	"Secrets":       true,
	"Seq":           true, // an internal ordering number, not a value
}

// Snapshot renders a record as a JSON object with lowerCamel field names,
// secrets left out. A nil value gives nil.
func Snapshot(v any) []byte {
	if v == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer && rv.IsNil() {
		return nil
	}
	b, err := json.Marshal(plain(rv))
	if err != nil {
		return nil
	}
	return b
}

var timeType = reflect.TypeFor[time.Time]()

// plain converts a value into maps, slices and scalars that encode to the
// history document.
func plain(v reflect.Value) any {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		v = v.Elem()
	}
	if v.Type() == timeType {
		t := v.Interface().(time.Time)
		if t.IsZero() {
			return nil
		}
		return t.UTC().Format(time.RFC3339Nano)
	}
	switch v.Kind() {
	case reflect.Struct:
		out := make(map[string]any, v.NumField())
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() || secretFields[f.Name] {
				continue
			}
			out[lowerCamel(f.Name)] = plain(v.Field(i))
		}
		return out
	case reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // raw bytes are keys or hashes; never history
		}
		out := make([]any, v.Len())
		for i := range out {
			out[i] = plain(v.Index(i))
		}
		return out
	case reflect.Map:
		out := make(map[string]any, v.Len())
		iter := v.MapRange()
		for iter.Next() {
			out[iter.Key().String()] = plain(iter.Value())
		}
		return out
	default:
		return v.Interface()
	}
}

// lowerCamel turns "BusinessUnitID" into "businessUnitID" and "ID" into "id".
func lowerCamel(name string) string {
	if name == "ID" {
		return "id"
	}
	r, size := utf8.DecodeRuneInString(name)
	return string(unicode.ToLower(r)) + name[size:]
}
