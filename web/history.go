package web

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"crewid"
	"crewid/access"
	"crewid/store"
)

// Settings > History: the tenant's events, newest first, filtered as the
// Settings API's history operation filters them (View History), each
// with the fields its change touched.

const historyPageSize = 50

type historyFilters struct {
	RecordType string
	RecordID   string
	ActorID    string
	ActorType  string
	EventType  string
	From       string // a date, inclusive
	To         string // a date, inclusive
}

func (f historyFilters) values() url.Values {
	v := url.Values{}
	for name, val := range map[string]string{"recordType": f.RecordType, "recordId": f.RecordID, "actorId": f.ActorID,
		"actorType": f.ActorType, "eventType": f.EventType, "from": f.From, "to": f.To} {
		if val != "" {
			v.Set(name, val)
		}
	}
	return v
}

// fieldChange is one field of a record as an event changed it; Before or
// After is empty when the field was added or removed.
type fieldChange struct {
	Field     string
	Before    string
	After     string
	HadBefore bool
	HasAfter  bool
}

type historyRow struct {
	Event   crewid.Event
	Changes []fieldChange
}

type historyData struct {
	Filters    historyFilters
	ActorTypes []crewid.ActorType
	Rows       []historyRow
	Page       int
	PrevURL    string
	NextURL    string
}

// readHistoryFilters parses the filters into a store query; problems are
// reported under the form's field names.
func readHistoryFilters(q url.Values) (historyFilters, store.EventQuery, crewid.Problems) {
	f := historyFilters{
		RecordType: strings.TrimSpace(q.Get("recordType")), RecordID: strings.TrimSpace(q.Get("recordId")),
		ActorID: strings.TrimSpace(q.Get("actorId")), ActorType: q.Get("actorType"), EventType: strings.TrimSpace(q.Get("eventType")),
		From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
	}
	eq := store.EventQuery{RecordType: f.RecordType, EventType: f.EventType}
	p := crewid.Problems{}
	id := func(name, raw string, into *int64) {
		if raw == "" {
			return
		}
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil || n <= 0 {
			p.Add(name, "Must be a positive whole number.")
			return
		}
		*into = n
	}
	id("recordId", f.RecordID, &eq.RecordID)
	id("actorId", f.ActorID, &eq.ActorID)
	switch crewid.ActorType(f.ActorType) {
	case "", crewid.ActorPerson, crewid.ActorApplication, crewid.ActorOperator, crewid.ActorSystem:
		eq.ActorType = crewid.ActorType(f.ActorType)
	default:
		p.Add("actorType", "Unknown actor type.")
	}
	date := func(name, raw string) time.Time {
		if raw == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.DateOnly, raw)
		if err != nil {
			p.Add(name, "Must be a date, e.g. 2026-01-31.")
		}
		return t
	}
	eq.OccurredOnOrAfter = date("from", f.From)
	if to := date("to", f.To); !to.IsZero() {
		eq.OccurredBefore = to.AddDate(0, 0, 1) // the whole of the last day
	}
	if !eq.OccurredOnOrAfter.IsZero() && !eq.OccurredBefore.IsZero() && !eq.OccurredBefore.After(eq.OccurredOnOrAfter) {
		p.Add("to", "Must not come before the start.")
	}
	return f, eq, p
}

func (c *Console) historyList(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskViewHistory) {
		return
	}
	q := r.URL.Query()
	f, eq, problems := readHistoryFilters(q)
	d := historyData{Filters: f, Page: 1,
		ActorTypes: []crewid.ActorType{crewid.ActorPerson, crewid.ActorApplication, crewid.ActorOperator, crewid.ActorSystem}}
	if raw := q.Get("page"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > 1_000_000 {
			problems.Add("page", "The page must be a whole number from 1.")
		}
		d.Page = n
	}
	if len(problems) > 0 {
		c.render(w, r, http.StatusBadRequest, "history", &View{Title: "History", Data: d, Errors: problems,
			Error: "Please correct the filters marked below."})
		return
	}
	page, err := c.Store.History(r.Context(), v.Person.TenantID, store.HistoryQuery{EventQuery: eq, Page: d.Page, PageSize: historyPageSize})
	if err != nil {
		c.fail(w, r, err)
		return
	}
	d.Rows = make([]historyRow, len(page.Items))
	for i, e := range page.Items {
		d.Rows[i] = historyRow{Event: e, Changes: changedFields(e.Before, e.After)}
	}
	pageURL := func(n int) string {
		vals := f.values()
		vals.Set("page", strconv.Itoa(n))
		return "/settings/history?" + vals.Encode()
	}
	if d.Page > 1 {
		d.PrevURL = pageURL(d.Page - 1)
	}
	if page.HasMore {
		d.NextURL = pageURL(d.Page + 1)
	}
	c.render(w, r, http.StatusOK, "history", &View{Title: "History", Data: d})
}

// changedFields compares the before and after documents of an event (JSON
// objects; either may be absent) field by field, and lists the fields
// that differ in name order. A document that is not an object is shown
// whole, as the field "(record)".
func changedFields(before, after []byte) []fieldChange {
	b, bok := fieldsOf(before)
	a, aok := fieldsOf(after)
	if (len(before) > 0 && !bok) || (len(after) > 0 && !aok) {
		return []fieldChange{{Field: "(record)", Before: string(before), After: string(after),
			HadBefore: len(before) > 0, HasAfter: len(after) > 0}}
	}
	names := make([]string, 0, len(a)+len(b))
	for name := range b {
		names = append(names, name)
	}
	for name := range a {
		if _, ok := b[name]; !ok {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	var out []fieldChange
	for _, name := range names {
		bv, had := b[name]
		av, has := a[name]
		if had && has && bytes.Equal(bv, av) {
			continue
		}
		out = append(out, fieldChange{Field: name, Before: readable(bv), After: readable(av), HadBefore: had, HasAfter: has})
	}
	return out
}

func fieldsOf(doc []byte) (map[string]json.RawMessage, bool) {
	if len(doc) == 0 || bytes.Equal(doc, []byte("null")) {
		return nil, true
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(doc, &m); err != nil {
		return nil, false
	}
	return m, true
}

// readable shows a JSON value as a person reads it: strings without their
// quotes, null as nothing, anything else as compact JSON.
func readable(v json.RawMessage) string {
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return ""
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
	}
	var buf bytes.Buffer
	if json.Compact(&buf, v) == nil {
		return buf.String()
	}
	return string(v)
}
