package settings

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"

	"crewid"
	"crewid/api"
	"crewid/store"
)

// History: every change to the tenant's records, in the Settings API's
// style.
//
//	GET /settings/v2/tenant/{tenant}/history
//	    The list envelope (page, pageSize, hasMore, totalCount, data),
//	    newest first; sort=+Id (or +OccurredOn) lists oldest first. Both
//	    orders are the order in which the changes committed.
//	GET /settings/v2/tenant/{tenant}/export/history
//	    The export envelope (hasMore, continueFrom, data), oldest first,
//	    resuming after a continueFrom token or from a date (from=…).
//
// Both take the filters recordType (e.g. Technician, Employee,
// BusinessUnit, UserRole; exact), recordId, actorId, actorType
// (Person|Application, and Operator|System for the command line and
// crewid itself), eventType (e.g. Technician.Updated; exact),
// occurredOnOrAfter and occurredBefore.
//
// An event is {id, occurredOn, eventType, recordType, recordId, actor:
// {type, id, name}, ip, userAgent, before, after}. before and after are
// the record's fields before and after the change, as JSON objects (null
// for a creation's before and a deletion's after); see history.Snapshot
// for how the fields are named. Secrets never appear in them. An actor
// without an id (Operator, System) has a null id; ip and userAgent are
// null when the change did not come through HTTP.

// historyActor is who made a change.
type historyActor struct {
	Type string `json:"type"`
	ID   *int64 `json:"id"`
	Name string `json:"name"`
}

// historyEvent is one event on the wire.
type historyEvent struct {
	ID         int64           `json:"id"`
	OccurredOn time.Time       `json:"occurredOn"`
	EventType  string          `json:"eventType"`
	RecordType string          `json:"recordType"`
	RecordID   int64           `json:"recordId"`
	Actor      historyActor    `json:"actor"`
	IP         *string         `json:"ip"`
	UserAgent  *string         `json:"userAgent"`
	Before     json.RawMessage `json:"before"`
	After      json.RawMessage `json:"after"`
}

func toHistoryEvent(e crewid.Event) historyEvent {
	return historyEvent{
		ID: e.ID, OccurredOn: e.OccurredOn, EventType: e.Type, RecordType: e.RecordType, RecordID: e.RecordID,
		Actor: historyActor{Type: string(e.Actor.Type), ID: optID(e.Actor.ID), Name: e.Actor.Name},
		IP:    opt(e.Actor.IP), UserAgent: opt(e.Actor.UserAgent),
		Before: document(e.Before), After: document(e.After),
	}
}

// document passes a stored JSON document through; an absent or unreadable
// one is null.
func document(b []byte) json.RawMessage {
	if len(b) == 0 || !json.Valid(b) {
		return nil
	}
	return b
}

// historyFilters reads the filters both history operations take.
func historyFilters(q *api.Query) store.EventQuery {
	return store.EventQuery{
		RecordType:        q.String("recordType"),
		RecordID:          q.Int64("recordId"),
		ActorID:           q.Int64("actorId"),
		ActorType:         crewid.ActorType(q.Enum("actorType", "", "Person", "Application", "Operator", "System")),
		EventType:         q.String("eventType"),
		OccurredOnOrAfter: q.Time("occurredOnOrAfter"),
		OccurredBefore:    q.Time("occurredBefore"),
	}
}

func (h *Handler) listHistory(w http.ResponseWriter, r *http.Request, c api.Caller) {
	q := api.NewQuery(r.URL.Query())
	hq := store.HistoryQuery{
		EventQuery:   historyFilters(q),
		Page:         q.Int("page", 1, 1, 1_000_000),
		PageSize:     q.Int("pageSize", 50, 1, 5000),
		IncludeTotal: q.Bool("includeTotal"),
	}
	switch q.Sort("Id", "OccurredOn") {
	case "+Id", "+OccurredOn":
		hq.OldestFirst = true
	}
	lq := store.ListQuery{Page: hq.Page, PageSize: hq.PageSize, IncludeTotal: hq.IncludeTotal}
	writeList(w, r, q, lq, func() (store.Page[crewid.Event], error) {
		return h.Store.History(r.Context(), c.TenantID, hq)
	}, toHistoryEvent)
}

func (h *Handler) exportHistory(w http.ResponseWriter, r *http.Request, c api.Caller) {
	eq, err := exportQuery(r)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	q := api.NewQuery(r.URL.Query())
	filters := historyFilters(q)
	if err := q.Err(); err != nil {
		api.WriteError(w, r, err)
		return
	}
	filters.AfterID, filters.Limit = eq.AfterSeq, eq.Limit
	if !eq.ModifiedOnOrAfter.IsZero() && eq.ModifiedOnOrAfter.After(filters.OccurredOnOrAfter) {
		// from=DATE: the events of that time on.
		filters.OccurredOnOrAfter = eq.ModifiedOnOrAfter
	}
	batch, err := h.Store.ExportEvents(r.Context(), c.TenantID, filters)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	writeEventExport(w, batch)
}

// writeEventExport answers an export page of events with what
// api.WriteJSON(w, toExported(batch, toHistoryEvent)) would write (byte for
// byte, for the compact JSON documents crewid stores), but encodes by hand:
// the before and after documents are checked once and copied as they are
// instead of being re-encoded, which keeps the export fast. The body goes
// out in pieces of about 256 KiB.
func writeEventExport(w http.ResponseWriter, batch store.Batch[crewid.Event]) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	buf := make([]byte, 0, 300<<10)
	buf = append(buf, `{"hasMore":`...)
	buf = strconv.AppendBool(buf, batch.HasMore)
	buf = append(buf, `,"continueFrom":`...)
	buf = appendJSONString(buf, continuationToken(batch.LastSeq))
	buf = append(buf, `,"data":[`...)
	for i, e := range batch.Items {
		if i > 0 {
			buf = append(buf, ',')
		}
		buf = appendHistoryEvent(buf, e)
		if len(buf) >= 256<<10 {
			if _, err := w.Write(buf); err != nil {
				return
			}
			buf = buf[:0]
		}
	}
	buf = append(buf, "]}"...)
	_, _ = w.Write(buf)
}

// appendHistoryEvent appends e as json.Marshal(toHistoryEvent(e)) would.
func appendHistoryEvent(buf []byte, e crewid.Event) []byte {
	buf = append(buf, `{"id":`...)
	buf = strconv.AppendInt(buf, e.ID, 10)
	buf = append(buf, `,"occurredOn":"`...)
	buf = e.OccurredOn.AppendFormat(buf, time.RFC3339Nano)
	buf = append(buf, `","eventType":`...)
	buf = appendJSONString(buf, e.Type)
	buf = append(buf, `,"recordType":`...)
	buf = appendJSONString(buf, e.RecordType)
	buf = append(buf, `,"recordId":`...)
	buf = strconv.AppendInt(buf, e.RecordID, 10)
	buf = append(buf, `,"actor":{"type":`...)
	buf = appendJSONString(buf, string(e.Actor.Type))
	buf = append(buf, `,"id":`...)
	if e.Actor.ID == 0 {
		buf = append(buf, "null"...)
	} else {
		buf = strconv.AppendInt(buf, e.Actor.ID, 10)
	}
	buf = append(buf, `,"name":`...)
	buf = appendJSONString(buf, e.Actor.Name)
	buf = append(buf, `},"ip":`...)
	buf = appendOptString(buf, e.Actor.IP)
	buf = append(buf, `,"userAgent":`...)
	buf = appendOptString(buf, e.Actor.UserAgent)
	buf = append(buf, `,"before":`...)
	buf = appendDocument(buf, e.Before)
	buf = append(buf, `,"after":`...)
	buf = appendDocument(buf, e.After)
	return append(buf, '}')
}

func appendOptString(buf []byte, s string) []byte {
	if s == "" {
		return append(buf, "null"...)
	}
	return appendJSONString(buf, s)
}

// appendDocument appends a stored JSON document, or null (see document).
// crewid stores compact JSON from json.Marshal, so copying it is what
// json.Marshal does with a json.RawMessage.
func appendDocument(buf []byte, b []byte) []byte {
	if len(b) == 0 || !json.Valid(b) {
		return append(buf, "null"...)
	}
	return append(buf, b...)
}

// appendJSONString appends s as a JSON string the way encoding/json writes
// it: HTML-sensitive characters, control characters and U+2028/U+2029
// escaped, invalid UTF-8 replaced by U+FFFD.
func appendJSONString(buf []byte, s string) []byte {
	const hex = "0123456789abcdef"
	buf = append(buf, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			buf = append(buf, s[start:i]...)
			switch c {
			case '"', '\\':
				buf = append(buf, '\\', c)
			case '\b':
				buf = append(buf, '\\', 'b')
			case '\f':
				buf = append(buf, '\\', 'f')
			case '\n':
				buf = append(buf, '\\', 'n')
			case '\r':
				buf = append(buf, '\\', 'r')
			case '\t':
				buf = append(buf, '\\', 't')
			default:
				buf = append(buf, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			buf = append(buf, s[start:i]...)
			buf = append(buf, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			buf = append(buf, s[start:i]...)
			buf = append(buf, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	buf = append(buf, s[start:]...)
	return append(buf, '"')
}
