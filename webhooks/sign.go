package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Headers of a delivery.
const (
	// SignatureHeader carries "t=TIMESTAMP,v1=HEX": TIMESTAMP the Unix
	// time of the attempt in seconds, HEX the HMAC-SHA256, keyed by the
	// subscription's secret, of TIMESTAMP + "." + the body.
	SignatureHeader = "Crewid-Signature"
	// EventIDHeader carries the event's id: the same for every attempt
	// and redelivery of an event, so a receiver can drop duplicates.
	EventIDHeader = "Crewid-Event-Id"
	// EventTypeHeader carries the event's type, for routing without
	// parsing the body.
	EventTypeHeader = "Crewid-Event-Type"
)

// Sign returns the SignatureHeader value of body sent at t.
func Sign(secret string, t time.Time, body []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	return "t=" + ts + ",v1=" + hex.EncodeToString(signature(secret, ts, body))
}

func signature(secret, ts string, body []byte) []byte {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts))
	mac.Write([]byte{'.'})
	mac.Write(body)
	return mac.Sum(nil)
}

// Verify checks a SignatureHeader value against body, for receivers
// written in Go: the signature must be the secret's and its timestamp
// within tolerance of now (0 skips that check), which limits replays.
func Verify(secret, header string, body []byte, now time.Time, tolerance time.Duration) error {
	var ts string
	var sigs [][]byte
	for part := range strings.SplitSeq(header, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			if b, err := hex.DecodeString(v); err == nil {
				sigs = append(sigs, b)
			}
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || len(sigs) == 0 {
		return errors.New("webhooks: the signature header is not t=TIMESTAMP,v1=HEX")
	}
	if tolerance > 0 && now.Sub(time.Unix(unix, 0)).Abs() > tolerance {
		return errors.New("webhooks: the signature's timestamp is outside the tolerance")
	}
	want := signature(secret, ts, body)
	for _, s := range sigs {
		if hmac.Equal(s, want) {
			return nil
		}
	}
	return errors.New("webhooks: the signature does not match")
}
