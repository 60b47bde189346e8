package api

import (
	"encoding/json"
	"errors"
	"net/http/httptest"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"crewid"
	"crewid/store"
)

// Fuzz targets for what every handler shares: query parsing, JSON body
// decoding and date parsing. `go test` replays the seeds below and the
// files in testdata/fuzz/<FuzzName>/; `go test -run XXX -fuzz FuzzName`
// explores further. None of them may panic, and every error they return
// must be an Invalid error naming the fields at fault, which the error
// writer turns into a 400.

// checkInvalid fails unless err is a crewid Invalid error whose fields are
// all among allowed (any non-empty name when allowed is nil), each with at
// least one message, and which renders as a 400 error body that encodes.
func checkInvalid(t *testing.T, err error, allowed []string) {
	t.Helper()
	var e *crewid.Error
	if !errors.As(err, &e) {
		t.Fatalf("error is not a crewid error: %T %v", err, err)
	}
	if e.Code != crewid.Invalid {
		t.Fatalf("error code %q, want invalid: %v", e.Code, err)
	}
	if len(e.Fields) == 0 {
		t.Fatalf("Invalid error names no field: %v", err)
	}
	for field, msgs := range e.Fields {
		if field == "" || (allowed != nil && !slices.Contains(allowed, field)) {
			t.Fatalf("error names unexpected field %q: %v", field, err)
		}
		if len(msgs) == 0 || slices.Contains(msgs, "") {
			t.Fatalf("field %q has no message: %v", field, err)
		}
	}
	if Status(err) != 400 {
		t.Fatalf("status %d for %v", Status(err), err)
	}
	body := Problem(httptest.NewRequest("GET", "/", nil), err)
	raw, jerr := json.Marshal(body)
	if jerr != nil || !json.Valid(raw) {
		t.Fatalf("error body does not encode: %v", jerr)
	}
}

// queryResult is everything a handler can read from a query string.
type queryResult struct {
	List       store.ListQuery
	Sort       string
	EmployeeTy string
	UserIDs    []int64
	From       time.Time
	RoleID     int64
	Inactive   bool
	Guid       string
	Limit      int
	Problems   crewid.Problems
}

var queryFields = []string{"ids", "name", "page", "pageSize", "includeTotal", "createdBefore", "createdOnOrAfter",
	"modifiedBefore", "modifiedOnOrAfter", "active", "sort", "employeeType", "userIds", "from", "roleId",
	"includeInactive", "externalDataApplicationGuid", "limit"}

var sortFields = []string{"Id", "Name", "CreatedOn", "ModifiedOn"}

func readQuery(values url.Values) (queryResult, error) {
	q := NewQuery(values)
	var r queryResult
	r.List = q.List()
	r.Sort = q.Sort(sortFields...)
	r.EmployeeTy = q.Enum("employeeType", "None", "None", "Employee", "Technician", "All")
	r.UserIDs = q.IDs("userIds")
	r.From = q.Time("from")
	r.RoleID = q.Int64("roleId")
	r.Inactive = q.Bool("includeInactive")
	r.Guid = q.String("externalDataApplicationGuid")
	r.Limit = q.Int("limit", 10, -5, 10)
	r.Problems = q.Problems
	return r, q.Err()
}

func checkTime(t *testing.T, name string, v time.Time) {
	t.Helper()
	if v.IsZero() {
		return
	}
	if v.Location() != time.UTC || v.Year() < 1 || v.Year() > 9999 {
		t.Fatalf("%s = %v: not a UTC time of years 1 to 9999", name, v)
	}
}

func FuzzQuery(f *testing.F) {
	for _, s := range []string{
		"",
		"page=2&pageSize=10&active=Any&includeTotal=true",
		"ids=1,2,3&name=smith&sort=-Name",
		"ids=" + strings.Repeat("1,", 50) + "1",
		"ids=1,,2,%20,3&userIds=9223372036854775807",
		"ids=9223372036854775808",
		"ids=-1,0",
		"page=0&pageSize=-1",
		"page=1000001&pageSize=5001",
		"PAGE=3&PageSize=7&Active=false",
		"page=1&page=2&PAGE=3",
		"Page=1&pAge=2&PAGE=3",
		"page=%201%20&pageSize=+2",
		"page=1e3&pageSize=0x10",
		"active=true&active=false",
		"active=maybe",
		"createdBefore=2024-01-31&createdOnOrAfter=2024-01-31T15:04:05Z&modifiedBefore=2024-01-31T15:04&modifiedOnOrAfter=2024-01-31T15:04:05.123456789",
		"createdBefore=0000-01-01",
		"createdBefore=0001-01-01T00:00:00%2B01:00",
		"modifiedBefore=9999-12-31T23:59:59-01:00",
		"modifiedOnOrAfter=10000-01-01",
		"from=2024-02-30",
		"sort=%2BName",
		"sort=+-+-name",
		"sort=Name;DROP",
		"sort=--createdon",
		"employeeType=technician",
		"employeeType=",
		"includeInactive=1&includeTotal=T",
		"includeTotal=yes",
		"roleId=-5&limit=-5",
		"name=" + strings.Repeat("x", 1001),
		"name=%00%ff%fe",
		"%zz=1&page=%zz",
		"a=1;b=2",
		";;;&&&===",
		"externalDataApplicationGuid={8b2f0a4e-8c8e-4b1e-9d7a-2f3e4d5c6b7a}",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		// A malformed pair is dropped by url.ParseQuery (and by
		// r.URL.Query() in handlers); the rest is read.
		values, _ := url.ParseQuery(raw)
		r, err := readQuery(values)
		if err != nil {
			checkInvalid(t, err, queryFields)
		}
		lq := r.List
		if lq.Page < 1 || lq.Page > 1_000_000 || lq.PageSize < 1 || lq.PageSize > 5000 {
			t.Fatalf("page %d, pageSize %d out of range", lq.Page, lq.PageSize)
		}
		if len(lq.IDs) > 50 || len(r.UserIDs) > 50 {
			t.Fatalf("%d ids, %d user ids: more than 50", len(lq.IDs), len(r.UserIDs))
		}
		if lq.Active != store.ActiveTrue && lq.Active != store.ActiveFalse && lq.Active != store.ActiveAny {
			t.Fatalf("active = %v", lq.Active)
		}
		if len(lq.Name) > 1000 || len(r.Guid) > 1000 {
			t.Fatalf("a string parameter of %d bytes got through", max(len(lq.Name), len(r.Guid)))
		}
		for _, v := range []string{lq.Name, r.Guid} {
			// Text bound for the database: PostgreSQL refuses invalid
			// UTF-8 and NUL in text.
			if !utf8.ValidString(v) || strings.ContainsFunc(v, unicode.IsControl) {
				t.Fatalf("string parameter %q got through", v)
			}
		}
		if r.Sort != "" {
			if (r.Sort[0] != '+' && r.Sort[0] != '-') || !slices.Contains(sortFields, r.Sort[1:]) {
				t.Fatalf("sort = %q", r.Sort)
			}
		}
		if !slices.Contains([]string{"None", "Employee", "Technician", "All"}, r.EmployeeTy) {
			t.Fatalf("employeeType = %q", r.EmployeeTy)
		}
		if r.RoleID < 0 {
			t.Fatalf("roleId = %d", r.RoleID)
		}
		if r.Limit < -5 || r.Limit > 10 {
			t.Fatalf("limit = %d", r.Limit)
		}
		for name, v := range map[string]time.Time{"createdBefore": lq.CreatedBefore, "createdOnOrAfter": lq.CreatedOnOrAfter,
			"modifiedBefore": lq.ModifiedBefore, "modifiedOnOrAfter": lq.ModifiedOnOrAfter, "from": r.From} {
			checkTime(t, name, v)
			// A filter is either applied or refused, never dropped.
			if s, ok := lookup(values, name); ok && s != "" && v.IsZero() && r.Problems[name] == nil {
				t.Fatalf("%s=%q neither applied nor refused", name, s)
			}
		}
		// The same query reads the same way every time, whatever the
		// order of the map of parameters.
		for range 3 {
			again, err2 := readQuery(values)
			if !reflect.DeepEqual(again, r) || (err == nil) != (err2 == nil) {
				t.Fatalf("the same query read differently:\n%+v\n%+v", r, again)
			}
		}
	})
}

// lookup finds a parameter as Query does (exact name first, then any case).
func lookup(values url.Values, name string) (string, bool) {
	q := NewQuery(values)
	return q.get(name)
}

func FuzzUserAgent(f *testing.F) {
	for _, s := range []string{"", "Go-http-client/1.1", "agent \xff\xfe", strings.Repeat("a", 499) + "é",
		strings.Repeat("é", 300), "a\x00b\x7fc\u0085d", strings.Repeat("\xff", 600)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("User-Agent", s)
		ua := UserAgent(r)
		if len(ua) > 500 || !utf8.ValidString(ua) || strings.ContainsFunc(ua, unicode.IsControl) {
			t.Fatalf("UserAgent(%q) = %q", s, ua)
		}
		if utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl) && !strings.HasPrefix(s, ua) {
			t.Fatalf("UserAgent(%q) = %q, not a prefix", s, ua)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2024-01-31", "2024-01-31T15:04:05Z", "2024-01-31T15:04:05.999999999+05:30", "2024-01-31T15:04",
		"2024-01-31T15:04:05.1", "0000-01-01", "0001-01-01", "0001-01-01T00:00:00+01:00",
		"9999-12-31T23:59:59Z", "9999-12-31T23:59:59-01:00", "10000-01-01", "-0001-01-01", "2024-02-30",
		"2024-13-01", "2024-01-31T24:00:00Z", "2024-01-31T15:04:05+24:00", "2024-01-31t15:04:05z",
		"2024-01-31 15:04:05", "", " ", "\x00", "2024-01-31T15:04:05.Z", "1e9", "now",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseTime(s)
		if err != nil {
			if !v.IsZero() {
				t.Fatalf("ParseTime(%q) = %v with error %v", s, v, err)
			}
			return
		}
		checkTime(t, "ParseTime("+s+")", v)
		back, err := ParseTime(v.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(v) {
			t.Fatalf("ParseTime(%q) = %v does not read back: %v, %v", s, v, back, err)
		}
		// Every accepted time can be written in a JSON answer.
		if _, err := json.Marshal(v); err != nil {
			t.Fatalf("ParseTime(%q) = %v does not encode: %v", s, v, err)
		}
	})
}

type fuzzAddress struct {
	Street    *string  `json:"street"`
	City      string   `json:"city"`
	Latitude  *float64 `json:"latitude"`
	Longitude float64  `json:"longitude"`
}

// fuzzBody has a field of every kind request bodies use.
type fuzzBody struct {
	Name        string                      `json:"name"`
	Email       *string                     `json:"email"`
	Active      *bool                       `json:"active"`
	ID          int64                       `json:"id"`
	RoleID      *int64                      `json:"roleId"`
	RoleIDs     []int64                     `json:"roleIds"`
	Rate        float64                     `json:"rate"`
	Goal        *float64                    `json:"goal"`
	Positions   []string                    `json:"positions"`
	Home        *fuzzAddress                `json:"home"`
	Items       []fuzzAddress               `json:"items"`
	Labels      map[string]string           `json:"labels"`
	Raw         json.RawMessage             `json:"raw"`
	OptName     Optional[string]            `json:"optName"`
	OptID       Optional[int64]             `json:"optId"`
	OptRate     Optional[float64]           `json:"optRate"`
	OptRatePtr  Optional[*float64]          `json:"optRatePtr"`
	OptIDs      Optional[[]int64]           `json:"optIds"`
	OptStrings  Optional[[]string]          `json:"optStrings"`
	OptBool     Optional[bool]              `json:"optBool"`
	OptHome     Optional[*fuzzAddress]      `json:"optHome"`
	OptItems    Optional[[]fuzzAddress]     `json:"optItems"`
	OptMap      Optional[map[string]string] `json:"optMap"`
	Count       int                         `json:"count"`
	Small       int8                        `json:"small"`
	Unsigned    uint32                      `json:"unsigned"`
	Any         any                         `json:"any"`
	Nested      struct{ Deep *fuzzBody }    `json:"nested"`
	StringSlice [][]string                  `json:"stringSlice"`
}

var fuzzBodyFields = func() map[string]bool {
	m := map[string]bool{"body": true}
	var walk func(prefix string, t reflect.Type, depth int)
	walk = func(prefix string, t reflect.Type, depth int) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || depth > 3 {
			return
		}
		if strings.HasPrefix(t.Name(), "Optional[") {
			walk(prefix, t.Field(2).Type, depth) // Value
			return
		}
		for i := range t.NumField() {
			sf := t.Field(i)
			name := sf.Name
			if tag, _, _ := strings.Cut(sf.Tag.Get("json"), ","); tag != "" {
				name = tag
			}
			full := name
			if prefix != "" {
				full = prefix + "." + name
			}
			m[full] = true
			walk(full, sf.Type, depth+1)
		}
	}
	walk("", reflect.TypeFor[fuzzBody](), 0)
	return m
}()

func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		`{}`, `null`, `[]`, `""`, `0`, ``, ` `, `{`, `}`, `{"name":"x"} {}`, `{"name":"x"} x`, `{"name":"x"}]`,
		`{"name":"Jo","email":"a@b.co","active":true,"id":1,"roleId":2,"roleIds":[3,4],"rate":1.5,"goal":null,` +
			`"positions":["CSR"],"home":{"street":"1 Main","city":"X","latitude":1,"longitude":2},"labels":{"a":"b"},` +
			`"raw":{"x":[1]},"optName":null,"optId":5,"optIds":[1,2],"optHome":{"city":"Y"},"optItems":[{"city":"Z"}]}`,
		`{"id":9223372036854775807}`, `{"id":9223372036854775808}`, `{"id":-9223372036854775809}`,
		`{"id":1e400}`, `{"rate":1e400}`, `{"rate":-0}`, `{"id":-0}`, `{"id":1.0}`, `{"id":1e2}`, `{"id":"1"}`,
		`{"rate":"NaN"}`, `{"rate":NaN}`, `{"rate":Infinity}`, `{"optRate":1e400}`, `{"optRatePtr":-1e400}`,
		`{"small":128}`, `{"unsigned":-1}`, `{"count":99999999999999999999}`,
		`{"optId":"x"}`, `{"optIds":[1,"2"]}`, `{"optHome":{"latitude":"n"}}`, `{"optItems":[{"longitude":true}]}`,
		`{"optMap":{"a":1}}`, `{"nested":{"Deep":{"optId":[]}}}`, `{"home":{"street":5}}`,
		`{"name":"a","name":"b","NAME":"c"}`, `{"name":null,"roleIds":null,"home":null,"optName":null}`,
		"{\"name\":\"\xff\xfe\"}", "{\"name\":\"a\x00b\"}", "{\"name\":\"\\u0000\\ud800\"}", "\xef\xbb\xbf{}",
		`{"name":"` + strings.Repeat("x", 100_000) + `"}`,
		`{"roleIds":[` + strings.TrimSuffix(strings.Repeat("1,", 10_000), ",") + `]}`,
		strings.Repeat("[", 20_000) + strings.Repeat("]", 20_000),
		`{"any":` + strings.Repeat(`{"a":`, 11_000) + `1` + strings.Repeat(`}`, 11_000) + `}`,
		`{"raw":` + strings.Repeat("[", 5_000) + strings.Repeat("]", 5_000) + `}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var v fuzzBody
		err := DecodeBytes(body, &v)
		if err != nil {
			checkInvalid(t, err, nil)
			var e *crewid.Error
			errors.As(err, &e)
			for field := range e.Fields {
				// Fields are named as in the body, dotted into objects.
				if !fuzzBodyFields[field] && !strings.HasPrefix(field, "nested.Deep.") {
					t.Fatalf("error names field %q, not a field of the body: %v", field, err)
				}
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted a body that is not one JSON value: %q", body)
		}
		for _, o := range []struct{ set, null bool }{{v.OptName.Set, v.OptName.Null}, {v.OptID.Set, v.OptID.Null},
			{v.OptIDs.Set, v.OptIDs.Null}, {v.OptHome.Set, v.OptHome.Null}, {v.OptBool.Set, v.OptBool.Null}} {
			if o.null && !o.set {
				t.Fatalf("an Optional is null but not set")
			}
		}
		if v.OptHome.Null && v.OptHome.Value != nil {
			t.Fatalf("optHome null with a value")
		}
		if !utf8.ValidString(v.Name) {
			t.Fatalf("decoded name is not UTF-8: %q", v.Name)
		}
	})
}
