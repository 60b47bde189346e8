package web

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"crewid"
	"crewid/access"
	"crewid/people"
	"crewid/store"
)

const outboxPageSize = 50

type outboxRow struct {
	Message crewid.Message
	// Body is shown only for local messages, which nothing else delivers;
	// a sent message's live links are not the console's to show again.
	Body  string
	Links []string
	// Error is the last delivery error, shown while it still matters: a
	// message sent after a retry keeps its old error in the store, but
	// the error no longer says anything about it.
	Error string
}

type outboxData struct {
	Recipient string
	Status    string
	Statuses  []string
	Rows      []outboxRow
	Page      int
	HasMore   bool
	PrevURL   string
	NextURL   string
}

var linkPattern = regexp.MustCompile(`https?://[^\s<>"]+`)

// outbox lists the messages crewid sent or would have sent, newest first.
func (c *Console) outbox(w http.ResponseWriter, r *http.Request, v *Viewer) {
	if !c.authorize(w, r, v, access.TaskReadOutbox) {
		return
	}
	q := r.URL.Query()
	d := outboxData{
		Recipient: strings.TrimSpace(q.Get("recipient")),
		Status:    q.Get("status"),
		Statuses:  []string{crewid.MessageLocal, crewid.MessagePending, crewid.MessageSent, crewid.MessageFailed},
		Page:      1,
	}
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 1 && n < 1_000_000 {
		d.Page = n
	}
	mq := store.MessageQuery{Recipient: d.Recipient, Offset: (d.Page - 1) * outboxPageSize, Limit: outboxPageSize + 1}
	if strings.Contains(mq.Recipient, "@") {
		mq.Recipient = strings.ToLower(mq.Recipient) // emails are stored lower-cased
	}
	switch d.Status {
	case "", crewid.MessageLocal, crewid.MessagePending, crewid.MessageSent, crewid.MessageFailed:
		mq.Status = d.Status
	default:
		c.fail(w, r, crewid.FieldError("status", "Unknown message status."))
		return
	}
	msgs, err := c.Store.Messages(r.Context(), v.Person.TenantID, mq)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	if len(msgs) > outboxPageSize {
		msgs, d.HasMore = msgs[:outboxPageSize], true
	}
	for _, m := range msgs {
		readable, err := people.MayReadMessage(r.Context(), c.Store, v.Person.TenantID, m.Recipient)
		if err != nil {
			c.fail(w, r, err)
			return
		}
		if !readable {
			m.Body = people.HiddenMessage
		}
		row := outboxRow{Message: m}
		if m.Status != crewid.MessageSent {
			row.Error = m.LastError
		}
		if m.Status == crewid.MessageLocal {
			row.Body = m.Body
			row.Links = linkPattern.FindAllString(m.Body, -1)
		}
		d.Rows = append(d.Rows, row)
	}
	pageURL := func(page int) string {
		vals := q
		vals.Set("page", strconv.Itoa(page))
		return "/settings/outbox?" + vals.Encode()
	}
	if d.Page > 1 {
		d.PrevURL = pageURL(d.Page - 1)
	}
	if d.HasMore {
		d.NextURL = pageURL(d.Page + 1)
	}
	c.render(w, r, http.StatusOK, "outbox", &View{Title: "Outbox", Data: d})
}
