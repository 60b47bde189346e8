package settings

import (
	"net/http"
	"strings"
	"time"

	"crewid"
	"crewid/api"
	"crewid/people"
	"crewid/store"
)

// The message outbox of a tenant: GET /settings/v2/tenant/{tenant}/outbox,
// a crewid extension in the style of the other lists.
//
// Query: page (from 1), pageSize (default 50, at most 500), recipient (an
// email address, any case, or a phone number as stored, +E.164), status
// (Pending, Sent, Failed or Local, any case). Newest first. The answer is the list envelope (page, pageSize, hasMore,
// totalCount always null, data).
//
// The route needs the people.write scope, not a read scope: the body of a
// message holds a live invitation or password-reset link, and whoever
// reads it can take over the account it is for, which is the power of
// inviting and resetting people. For the same reason the body is shown
// only for messages with status Local, the ones nothing delivers (no SMTP
// or SMS provider is configured for their channel), for which the outbox
// is the way to reach the person; the body of a queued, sent or failed
// message went, or goes, to the recipient alone and is null here.

// outboxMaxPageSize bounds pageSize (the store reads at most 500 at once).
const outboxMaxPageSize = 500

type outboxMessageResponse struct {
	ID            int64      `json:"id"`
	Channel       string     `json:"channel"`
	Recipient     string     `json:"recipient"`
	Subject       *string    `json:"subject"`
	Body          *string    `json:"body"`
	Status        string     `json:"status"`
	Attempts      int        `json:"attempts"`
	LastError     *string    `json:"lastError"`
	CreatedOn     time.Time  `json:"createdOn"`
	NextAttemptOn *time.Time `json:"nextAttemptOn"`
	SentOn        *time.Time `json:"sentOn"`
}

// Wire names of channels and statuses, and back.
var (
	channelToWire = map[string]string{crewid.ChannelEmail: "Email", crewid.ChannelSMS: "Sms"}
	statusToWire  = map[string]string{
		crewid.MessagePending: "Pending", crewid.MessageSent: "Sent",
		crewid.MessageFailed: "Failed", crewid.MessageLocal: "Local",
	}
)

func fromWire(m map[string]string, wire string) string {
	for k, v := range m {
		if v == wire {
			return k
		}
	}
	return ""
}

func toOutboxResponse(m crewid.Message) outboxMessageResponse {
	out := outboxMessageResponse{
		ID: m.ID, Channel: channelToWire[m.Channel], Recipient: m.Recipient, Subject: opt(m.Subject),
		Status: statusToWire[m.Status], Attempts: m.Attempts, LastError: opt(m.LastError),
		CreatedOn: m.CreatedOn, SentOn: optTime(m.SentOn),
	}
	if m.Status == crewid.MessageLocal {
		out.Body = ptr(m.Body)
	}
	if m.Status == crewid.MessagePending {
		out.NextAttemptOn = optTime(m.NextAttemptOn)
	}
	return out
}

func (h *Handler) listOutbox(w http.ResponseWriter, r *http.Request, c api.Caller) {
	q := api.NewQuery(r.URL.Query())
	page := q.Int("page", 1, 1, 1_000_000)
	pageSize := q.Int("pageSize", 50, 1, outboxMaxPageSize)
	mq := store.MessageQuery{Recipient: strings.TrimSpace(q.String("recipient"))}
	if strings.Contains(mq.Recipient, "@") {
		mq.Recipient = strings.ToLower(mq.Recipient) // emails are stored lower-cased
	}
	if s := q.Enum("status", "", "Pending", "Sent", "Failed", "Local"); s != "" {
		mq.Status = fromWire(statusToWire, s)
	}
	if err := q.Err(); err != nil {
		api.WriteError(w, r, err)
		return
	}
	mq.Offset, mq.Limit = (page-1)*pageSize, pageSize
	items, err := h.Store.Messages(r.Context(), c.TenantID, mq)
	if err != nil {
		api.WriteError(w, r, err)
		return
	}
	hasMore := false
	if len(items) == pageSize {
		next := mq
		next.Offset, next.Limit = mq.Offset+pageSize, 1
		more, err := h.Store.Messages(r.Context(), c.TenantID, next)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		hasMore = len(more) > 0
	}
	out := paginated[outboxMessageResponse]{Page: page, PageSize: pageSize, HasMore: hasMore, Data: make([]outboxMessageResponse, len(items))}
	for i, m := range items {
		ok, err := people.MayReadMessage(r.Context(), h.Store, c.TenantID, m.Recipient)
		if err != nil {
			api.WriteError(w, r, err)
			return
		}
		if !ok {
			m.Body = people.HiddenMessage
		}
		out.Data[i] = toOutboxResponse(m)
	}
	api.WriteJSON(w, out)
}
