package notify

import (
	"context"
	"time"

	"crewid"
	"crewid/store"
)

// Routed returns st as the services that enqueue messages should see it
// when w delivers the outbox:
//
//   - a pending message of a channel w has no sender for is written with
//     status local instead (nothing would ever send it; it is read in the
//     local outbox), so that with only SMTP configured an SMS invitation
//     goes to the local outbox rather than waiting for ever, and the other
//     way round;
//   - after a transaction that enqueued a pending message commits, w is
//     woken, so delivery starts at once rather than at its next interval.
//
// Everything else passes through unchanged. With w nil, Routed returns st.
func Routed(st store.Store, w *Worker) store.Store {
	if w == nil {
		return st
	}
	local := map[string]bool{crewid.ChannelEmail: w.Email == nil, crewid.ChannelSMS: w.SMS == nil}
	return &routedStore{Store: st, local: local, wake: w.Wake}
}

type routedStore struct {
	store.Store
	local map[string]bool
	wake  func()
}

func (s *routedStore) Update(ctx context.Context, fn func(tx store.Tx) error) error {
	var queued bool
	err := s.Store.Update(ctx, func(tx store.Tx) error {
		queued = false // fn may run again; count only the run that commits
		return fn(&routedTx{Tx: tx, local: s.local, queued: &queued})
	})
	if err == nil && queued {
		s.wake()
	}
	return err
}

type routedTx struct {
	store.Tx
	local  map[string]bool
	queued *bool
}

func (t *routedTx) EnqueueMessage(ctx context.Context, m *crewid.Message) error {
	if m.Status == crewid.MessagePending && t.local[m.Channel] {
		m.Status = crewid.MessageLocal
		m.NextAttemptOn = time.Time{}
	}
	if err := t.Tx.EnqueueMessage(ctx, m); err != nil {
		return err
	}
	if m.Status == crewid.MessagePending {
		*t.queued = true
	}
	return nil
}
