package history

import (
	"crypto/sha256"
	"encoding/binary"
	"time"

	"crewid"
)

// The history of each tenant is a hash chain. Every event carries the hash
// of the tenant's previous event (PrevHash; empty for the tenant's first
// event) and its own Hash, SHA-256 over a canonical encoding of PrevHash and
// every stored field of the event. Changing, inserting, removing or
// reordering a stored event breaks the chain at that event or the next one;
// the tenant row keeps the chain head (the newest hash), so removing the
// newest events is noticed too. Pruning old events keeps the hash of the
// last pruned event as the chain's anchor: the oldest kept event must link
// to it.
//
// The store computes the hash with EventHash when it appends an event,
// while it holds the tenant's lock, so each tenant's chain is linear.

// ChainVersion names the canonical encoding of an event. It is the first
// item hashed, so that a future encoding can never produce the hash of
// this one.
const ChainVersion = "crewid.history.event.v1"

// HashSize is the length of an event hash.
const HashSize = sha256.Size

// EventHash returns the hash of e in its chain: SHA-256 over the canonical
// encoding of ChainVersion, e.PrevHash and e's stored fields. e.Hash is not
// read.
//
// The encoding is a sequence of items, in this order: ChainVersion,
// PrevHash, ID, TenantID, OccurredOn, Type, RecordType, RecordID,
// Actor.Type, Actor.ID, Actor.Name, Actor.IP, Actor.UserAgent, Before,
// After. Integers are 8 bytes, big-endian two's complement; OccurredOn is
// the integer count of microseconds since the Unix epoch (0 for the zero
// time), which is what the store keeps. Strings and byte strings are their
// length as an 8-byte big-endian integer followed by their bytes. Before and
// After, which may be absent (null), are one byte 0 when absent, or the
// byte 1 followed by the byte string.
func EventHash(e crewid.Event) []byte {
	var enc encoder
	enc.bytes([]byte(ChainVersion))
	enc.bytes(e.PrevHash)
	enc.int(e.ID)
	enc.int(e.TenantID)
	enc.int(micros(e.OccurredOn))
	enc.string(e.Type)
	enc.string(e.RecordType)
	enc.int(e.RecordID)
	enc.string(string(e.Actor.Type))
	enc.int(e.Actor.ID)
	enc.string(e.Actor.Name)
	enc.string(e.Actor.IP)
	enc.string(e.Actor.UserAgent)
	enc.optional(e.Before)
	enc.optional(e.After)
	sum := sha256.Sum256(enc.buf)
	return sum[:]
}

// micros is a time as the store keeps it: microseconds since the epoch,
// 0 for the zero time.
func micros(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMicro()
}

// encoder builds the canonical encoding of an event.
type encoder struct{ buf []byte }

func (e *encoder) int(v int64) {
	e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(v))
}

func (e *encoder) bytes(b []byte) {
	e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(len(b)))
	e.buf = append(e.buf, b...)
}

func (e *encoder) string(s string) {
	e.buf = binary.BigEndian.AppendUint64(e.buf, uint64(len(s)))
	e.buf = append(e.buf, s...)
}

// optional encodes a JSON document that may be absent. Absent (nil) and
// present-but-empty are different values: the store keeps NULL and the empty text apart.
func (e *encoder) optional(b []byte) {
	if b == nil {
		e.buf = append(e.buf, 0)
		return
	}
	e.buf = append(e.buf, 1)
	e.bytes(b)
}
