// Package history turns changes into history events. Every change is
// recorded in the transaction that makes it, so the history can never miss a
// committed change nor show one that was rolled back.
package history

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
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
	"Secret":        true, // a webhook's signing secret
	"ClientSecret":  true, // a single sign-on client secret
	"Seq":           true, // an internal ordering number, not a value
}

// Snapshot renders a record as a JSON object, secrets left out. A nil value
// gives nil.
//
// The fields are the record's domain fields (package crewid), named in the
// APIs' JSON casing (see lowerCamel): a technician's mobile number is
// "mobilePhone", its business unit "businessUnitId", its roles "roleIds";
// nested values (a person's "account", an "address") are objects of their
// own fields; times are RFC 3339 in UTC to the microsecond (as stored),
// and the zero time is null. Hashes,
// keys and other raw bytes are never included, nor the fields named in
// secretFields (a password hash, client secrets, private keys).
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
		// To the microsecond, as the store keeps times.
		return t.UTC().Truncate(time.Microsecond).Format(time.RFC3339Nano)
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

// lowerCamel turns a Go field name into the JSON casing of the APIs:
// lowerCamelCase with initialisms written as words, so "BusinessUnitID"
// becomes "businessUnitId", "RoleIDs" "roleIds", "AADUserID" "aadUserId"
// and "ID" "id".
func lowerCamel(name string) string {
	var b strings.Builder
	for i, word := range words(name) {
		lower := strings.ToLower(word)
		if i == 0 {
			b.WriteString(lower)
			continue
		}
		r, size := utf8.DecodeRuneInString(lower)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(lower[size:])
	}
	return b.String()
}

// words splits a Go identifier into words: "AADUserIDs" gives "AAD",
// "User", "IDs". An initialism ends before an upper-case letter that starts
// a lower-case word; a lone "s" after an initialism is its plural.
func words(name string) []string {
	rs := []rune(name)
	var out []string
	start := 0
	for i := 1; i < len(rs); i++ {
		prev, cur := rs[i-1], rs[i]
		var next rune
		if i+1 < len(rs) {
			next = rs[i+1]
		}
		boundary := false
		switch {
		case unicode.IsUpper(cur) && !unicode.IsUpper(prev):
			boundary = true // "userID": before "I"
		case unicode.IsUpper(cur) && unicode.IsUpper(prev) && unicode.IsLower(next):
			// "AADUser": before "U", unless "IDs" (a plural initialism).
			plural := next == 's' && (i+2 == len(rs) || unicode.IsUpper(rs[i+2]))
			boundary = !plural
		}
		if boundary {
			out = append(out, string(rs[start:i]))
			start = i
		}
	}
	return append(out, string(rs[start:]))
}
