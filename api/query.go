package api

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"crewid"
	"crewid/store"
)

// Query reads query parameters and collects what is wrong with them.
type Query struct {
	values   url.Values
	Problems crewid.Problems
}

// NewQuery wraps a request's query parameters.
func NewQuery(values url.Values) *Query {
	return &Query{values: values, Problems: crewid.Problems{}}
}

// get returns a parameter, matching its name case-insensitively as the
// published API does. When several spellings are given, the first in
// byte order wins, so the same query always reads the same way.
func (q *Query) get(name string) (string, bool) {
	if v, ok := q.values[name]; ok && len(v) > 0 {
		return strings.TrimSpace(v[0]), true
	}
	key, found := "", false
	for k, v := range q.values {
		if strings.EqualFold(k, name) && len(v) > 0 && (!found || k < key) {
			key, found = k, true
		}
	}
	if found {
		return strings.TrimSpace(q.values[key][0]), true
	}
	return "", false
}

// String returns a parameter or "". Text that no record can hold (not
// UTF-8, or with control characters) is refused, as databases refuse it.
func (q *Query) String(name string) string {
	v, _ := q.get(name)
	if len(v) > 1000 {
		q.Problems.Add(name, "The value is too long.")
		return ""
	}
	if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
		q.Problems.Add(name, "The value contains characters that are not allowed.")
		return ""
	}
	return v
}

// Int returns an integer parameter within [min, max], or def when absent.
func (q *Query) Int(name string, def, min, max int) int {
	v, ok := q.get(name)
	if !ok || v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < min || n > max {
		q.Problems.Add(name, "Must be a whole number from "+strconv.Itoa(min)+" to "+strconv.Itoa(max)+".")
		return def
	}
	return n
}

// Int64 returns an int64 parameter, 0 when absent.
func (q *Query) Int64(name string) int64 {
	v, ok := q.get(name)
	if !ok || v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		q.Problems.Add(name, "Must be a positive whole number.")
		return 0
	}
	return n
}

// Bool returns a boolean parameter, false when absent.
func (q *Query) Bool(name string) bool {
	v, ok := q.get(name)
	if !ok || v == "" {
		return false
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		q.Problems.Add(name, "Must be true or false.")
	}
	return b
}

// IDs returns a comma-separated list of ids (at most 50).
func (q *Query) IDs(name string) []int64 {
	v, ok := q.get(name)
	if !ok || v == "" {
		return nil
	}
	parts := strings.Split(v, ",")
	if len(parts) > 50 {
		q.Problems.Add(name, "At most 50 ids may be given.")
		return nil
	}
	ids := make([]int64, 0, len(parts))
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		id, err := strconv.ParseInt(p, 10, 64)
		if err != nil {
			q.Problems.Add(name, "Must be a comma-separated list of ids.")
			return nil
		}
		ids = append(ids, id)
	}
	return ids
}

// Time returns a date-time parameter: RFC 3339, or a date or date-time
// without zone taken as UTC.
func (q *Query) Time(name string) time.Time {
	v, ok := q.get(name)
	if !ok || v == "" {
		return time.Time{}
	}
	t, err := ParseTime(v)
	if err != nil {
		q.Problems.Add(name, "Must be a date-time in RFC 3339 format, e.g. 2024-01-31T15:04:05Z, or a date, e.g. 2024-01-31.")
	}
	if err == nil && t.IsZero() {
		// 0001-01-01T00:00:00Z, the earliest time: the zero Time means
		// "no filter" to the store, so take the next microsecond instead.
		t = t.Add(time.Microsecond)
	}
	return t
}

// ParseTime parses the date and date-time forms clients send, in UTC from
// year 1 to 9999.
func ParseTime(v string) (time.Time, error) {
	var err error
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02T15:04", time.DateOnly} {
		var t time.Time
		if t, err = time.Parse(layout, v); err == nil {
			if t = t.UTC(); t.Year() < 1 || t.Year() > 9999 {
				return time.Time{}, errors.New("the year is out of range")
			}
			return t, nil
		}
	}
	return time.Time{}, err
}

// Enum returns a parameter that must be one of allowed (case-insensitive);
// the allowed spelling is returned, def when absent.
func (q *Query) Enum(name, def string, allowed ...string) string {
	v, ok := q.get(name)
	if !ok || v == "" {
		return def
	}
	for _, a := range allowed {
		if strings.EqualFold(a, v) {
			return a
		}
	}
	q.Problems.Add(name, "Must be one of: "+strings.Join(allowed, ", ")+".")
	return def
}

// List reads the filters and paging every list operation shares.
func (q *Query) List() store.ListQuery {
	lq := store.ListQuery{
		IDs:               q.IDs("ids"),
		Name:              q.String("name"),
		Page:              q.Int("page", 1, 1, 1_000_000),
		PageSize:          q.Int("pageSize", 50, 1, 5000),
		IncludeTotal:      q.Bool("includeTotal"),
		CreatedBefore:     q.Time("createdBefore"),
		CreatedOnOrAfter:  q.Time("createdOnOrAfter"),
		ModifiedBefore:    q.Time("modifiedBefore"),
		ModifiedOnOrAfter: q.Time("modifiedOnOrAfter"),
	}
	lq.Active = q.Active("active")
	return lq
}

// Active reads an active=True|False|Any parameter (default True).
func (q *Query) Active(name string) store.Active {
	switch q.Enum(name, "True", "True", "False", "Any") {
	case "False":
		return store.ActiveFalse
	case "Any":
		return store.ActiveAny
	}
	return store.ActiveTrue
}

// Sort reads a sort parameter: +Field or -Field among allowed fields.
func (q *Query) Sort(allowed ...string) string {
	v, ok := q.get("sort")
	if !ok || v == "" {
		return ""
	}
	field := strings.TrimLeft(v, "+- ")
	for _, a := range allowed {
		if strings.EqualFold(a, field) {
			if strings.HasPrefix(v, "-") {
				return "-" + a
			}
			return "+" + a
		}
	}
	q.Problems.Add("sort", "Sort by +Field or -Field, where Field is one of: "+strings.Join(allowed, ", ")+".")
	return ""
}

// Err returns the problems found, if any.
func (q *Query) Err() error { return q.Problems.Err() }
