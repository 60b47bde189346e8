package settings

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"crewid"
	"crewid/api"
	"crewid/history"
	"crewid/store"
)

// histTricky are strings that exercise JSON string escaping.
var histTricky = []string{
	"", "plain", `quote " and \ backslash`, "<script>&amp;</script>", "tab\tnew\nline\rcr\bbs\fff",
	"\x00\x01\x1f\x7f", "ünïcödé ✓ 😀", "line\u2028para\u2029end", "bad \xff utf8 \xc3", "mozilla/5.0 (X11; Linux) \"quoted\"",
}

// TestHistoryExportEncoding: the hand-written export encoding is what
// encoding/json writes for the same page.
func TestHistoryExportEncoding(t *testing.T) {
	var events []crewid.Event
	for i, s := range histTricky {
		e := crewid.Event{
			ID: int64(i + 1), TenantID: 3, OccurredOn: time.Date(2024, 3, 10, 9, 30, i, i*1000, time.UTC),
			Type: s, RecordType: s, RecordID: int64(i * 1000),
			Actor:  crewid.Actor{Type: crewid.ActorType(s), ID: int64(i), Name: s, IP: s, UserAgent: s},
			Before: history.Snapshot(map[string]any{"name": s, "n": i, "list": []string{s, "x"}}),
			After:  history.Snapshot(crewid.TagType{ID: int64(i), Name: s, Code: s, Active: true, CreatedOn: time.Unix(1700000000, 123456789)}),
		}
		events = append(events, e)
	}
	check := func(batch store.Batch[crewid.Event]) {
		t.Helper()
		want := httptest.NewRecorder()
		api.WriteJSON(want, toExported(batch, toHistoryEvent))
		got := httptest.NewRecorder()
		writeEventExport(got, batch)
		if !bytes.Equal(bytes.TrimSpace(got.Body.Bytes()), bytes.TrimSpace(want.Body.Bytes())) {
			t.Errorf("export encoding differs:\n got %s\nwant %s", got.Body, want.Body)
		}
		if got.Header().Get("Content-Type") != want.Header().Get("Content-Type") || got.Code != want.Code {
			t.Errorf("headers: %v %d, want %v %d", got.Header(), got.Code, want.Header(), want.Code)
		}
		if !json.Valid(got.Body.Bytes()) {
			t.Errorf("export is not valid JSON")
		}
	}
	check(store.Batch[crewid.Event]{Items: events, LastSeq: 99, HasMore: true})
	check(store.Batch[crewid.Event]{Items: []crewid.Event{}, LastSeq: 0})
	// Absent, empty and unreadable documents are null.
	odd := events[1]
	odd.Before, odd.After = []byte{}, []byte(`{"broken":`)
	check(store.Batch[crewid.Event]{Items: []crewid.Event{odd}})
	// A page bigger than one write.
	var many []crewid.Event
	for i := range 800 {
		e := events[i%len(events)]
		e.ID = int64(i + 1)
		many = append(many, e)
	}
	check(store.Batch[crewid.Event]{Items: many, LastSeq: 800, HasMore: true})
}
