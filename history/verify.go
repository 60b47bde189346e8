package history

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"

	"crewid"
	"crewid/store"
)

// Problems Verify reports at the first broken link.
const (
	// ProblemHashMismatch: the event's fields (or its stored hash) were
	// changed; its hash is not the hash of what is stored.
	ProblemHashMismatch = "hash mismatch"
	// ProblemBrokenLink: the event does not link to the event before it (or
	// to the anchor left by pruning): an event before it was removed,
	// inserted or changed, or the event was moved.
	ProblemBrokenLink = "broken prev link"
	// ProblemMissingHash: the event has no hash at all.
	ProblemMissingHash = "missing hash"
	// ProblemHeadMismatch: the chain does not end at the head the tenant
	// records: the newest events were removed, or the head was changed.
	ProblemHeadMismatch = "head mismatch"
)

// Report is the outcome of Verify.
type Report struct {
	TenantID int64
	// Events is how many events were found sound, oldest first, before the
	// break (all of them when there is none).
	Events int
	// Head is the hash of the newest event verified: the tenant's chain
	// head when the chain is sound. Empty when the history is empty.
	Head []byte
	// AnchorID is the id of the last pruned event (0 if none was pruned)
	// and Anchor its hash, to which the oldest kept event links.
	AnchorID int64
	Anchor   []byte
	// Break is the first broken link; nil when the chain is sound.
	Break *Break
}

// OK reports whether the chain is sound.
func (r Report) OK() bool { return r.Break == nil }

// Break is the first place where a chain does not hold.
type Break struct {
	// EventID is the event at which the chain breaks (for a head mismatch,
	// the newest event found, 0 if none).
	EventID int64
	// Problem is one of the Problem constants.
	Problem string
	// Detail says what was expected and found.
	Detail string
}

func (b *Break) String() string {
	return fmt.Sprintf("event %d: %s: %s", b.EventID, b.Problem, b.Detail)
}

// verifyBatch is how many events Verify reads at a time.
const verifyBatch = 1000

// Verify walks the tenant's history in chain order, in batches, and checks
// every link: each event's hash is the hash of its stored fields, each
// event links to the one before it (the oldest to the pruning anchor), and
// the chain ends at the head the tenant records. It reports the first
// broken link, if any. An error is returned only when the walk itself
// fails (a tenant that does not exist is crewid.ErrNotFound).
//
// Verify reads outside a transaction, so changes may commit while it
// walks. Events appended since it started are not checked (the walk ends
// at the head read first), and a break that a concurrent prune explains
// (the anchor moved) makes it walk again.
func Verify(ctx context.Context, r store.Reader, tenantID int64) (Report, error) {
	for attempt := 0; ; attempt++ {
		chain, err := r.HistoryChain(ctx, tenantID)
		if err != nil {
			return Report{}, err
		}
		report, err := walk(ctx, r, tenantID, chain)
		if err != nil || report.OK() || attempt == 2 {
			return report, err
		}
		now, err := r.HistoryChain(ctx, tenantID)
		if err != nil {
			return report, err
		}
		moved := now.AnchorID != chain.AnchorID || !bytes.Equal(now.Anchor, chain.Anchor)
		started := len(chain.Head) == 0 && len(now.Head) != 0
		if !moved && !started {
			return report, nil
		}
	}
}

// walk checks the events from the anchor of chain to its head.
func walk(ctx context.Context, r store.Reader, tenantID int64, chain store.HistoryChain) (Report, error) {
	report := Report{TenantID: tenantID, AnchorID: chain.AnchorID, Anchor: chain.Anchor}
	fail := func(id int64, problem, detail string) (Report, error) {
		report.Break = &Break{EventID: id, Problem: problem, Detail: detail}
		return report, nil
	}
	prev := chain.Anchor
	if len(chain.Head) != 0 && bytes.Equal(chain.Head, chain.Anchor) {
		// Everything was pruned; events after the anchor came since.
		return report, nil
	}
	var last int64
	for {
		events, err := r.Events(ctx, tenantID, store.EventQuery{AfterID: last, Limit: verifyBatch})
		if err != nil {
			return report, err
		}
		for _, e := range events {
			if len(e.Hash) == 0 {
				return fail(e.ID, ProblemMissingHash, "the event has no hash")
			}
			if len(chain.Head) == 0 {
				return fail(e.ID, ProblemHeadMismatch, "the tenant records no chain head, yet it has events")
			}
			if !bytes.Equal(e.PrevHash, prev) {
				what := "the previous event's hash " + short(prev)
				if report.Events == 0 {
					what = anchorText(chain)
				}
				return fail(e.ID, ProblemBrokenLink, fmt.Sprintf("it links to %s, not to %s", short(e.PrevHash), what))
			}
			if got := EventHash(e); !bytes.Equal(got, e.Hash) {
				return fail(e.ID, ProblemHashMismatch, fmt.Sprintf("stored hash %s, hash of the stored fields %s", short(e.Hash), short(got)))
			}
			report.Events++
			report.Head = e.Hash
			prev = e.Hash
			last = e.ID
			if bytes.Equal(e.Hash, chain.Head) {
				// The head as read at the start; what follows was
				// appended since.
				return report, nil
			}
		}
		if len(events) < verifyBatch {
			break
		}
	}
	if len(chain.Head) != 0 {
		return fail(last, ProblemHeadMismatch, fmt.Sprintf("the chain ends at %s but the tenant's head is %s: the newest events are missing", short(prev), short(chain.Head)))
	}
	return report, nil
}

func anchorText(c store.HistoryChain) string {
	if c.AnchorID == 0 && len(c.Anchor) == 0 {
		return "the start of the history (nothing was pruned)"
	}
	return fmt.Sprintf("the pruning anchor %s (event %d)", short(c.Anchor), c.AnchorID)
}

// short renders a hash for messages.
func short(h []byte) string {
	if len(h) == 0 {
		return "(none)"
	}
	return hex.EncodeToString(h)
}

// ErrChainBroken is returned by Prune when the chain does not verify:
// pruning would destroy the evidence.
var ErrChainBroken = crewid.Errorf(crewid.Conflict, "The history chain does not verify; run \"crewid history verify\" and investigate before pruning.")
