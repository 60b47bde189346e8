package history

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"crewid"
	"crewid/store"
)

// EventPruned is the event type of a prune; its record is the tenant.
const EventPruned = "History.Pruned"

// pruneBatch is the most events one prune transaction deletes, so that a
// large prune never holds the tenant's lock (and so its changes) for long.
const pruneBatch = 10000

// PruneResult says what Prune removed.
type PruneResult struct {
	// Deleted is how many events were removed.
	Deleted int
	// AnchorID is the id of the last removed event and Anchor its hash, to
	// which the oldest kept event links (unchanged when nothing was
	// removed).
	AnchorID int64
	Anchor   []byte
}

// pruneRecord is the after value of a History.Pruned event.
type pruneRecord struct {
	Cutoff     time.Time // events before this were eligible
	Deleted    int       // removed by this transaction
	AnchorID   int64     // the last removed event
	AnchorHash string    // its hash, hex
}

// Prune removes the tenant's events that occurred before cutoff, oldest
// first, and keeps the chain verifiable from the oldest kept event: the
// hash of the last removed event becomes the chain's anchor. Events go in
// chain order, so an event older than cutoff that follows a newer one is
// kept until that one goes too.
//
// The chain is verified first; a chain that does not verify is not pruned
// (ErrChainBroken), so that pruning never destroys the evidence of
// tampering. Events are removed in transactions of at most 10,000, each
// recording a History.Pruned event (actor, cutoff, count, anchor). cutoff
// must not be after now.
func Prune(ctx context.Context, st store.Store, now time.Time, actor crewid.Actor, tenantID int64, cutoff time.Time) (PruneResult, error) {
	if cutoff.After(now) {
		return PruneResult{}, crewid.FieldError("cutoff", "Only events of the past can be pruned.")
	}
	report, err := Verify(ctx, st, tenantID)
	if err != nil {
		return PruneResult{}, err
	}
	if !report.OK() {
		return PruneResult{}, fmt.Errorf("%w (%s)", ErrChainBroken, report.Break)
	}
	res := PruneResult{AnchorID: report.AnchorID, Anchor: report.Anchor}
	for {
		var batch store.Pruned
		err := st.Update(ctx, func(tx store.Tx) error {
			var err error
			batch, err = tx.PruneEvents(ctx, tenantID, cutoff, pruneBatch)
			if err != nil || batch.Deleted == 0 {
				return err
			}
			return Record(ctx, tx, now, actor, Change{
				TenantID: tenantID, Type: EventPruned, RecordType: "Tenant", RecordID: tenantID,
				After: pruneRecord{Cutoff: cutoff, Deleted: batch.Deleted, AnchorID: batch.AnchorID, AnchorHash: hex.EncodeToString(batch.Anchor)},
			})
		})
		if err != nil {
			return res, err
		}
		if batch.Deleted == 0 {
			return res, nil
		}
		res.Deleted += batch.Deleted
		res.AnchorID, res.Anchor = batch.AnchorID, batch.Anchor
		if batch.Deleted < pruneBatch {
			return res, nil
		}
	}
}
