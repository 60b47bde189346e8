package auth

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	if NewLimiter(0) != nil {
		t.Fatal("NewLimiter(0) is a limit")
	}
	var off *Limiter
	if ok, _ := off.Allow("a"); !ok {
		t.Fatal("a nil limiter refused")
	}
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	l := NewLimiter(6) // one every 10 seconds, 6 at once
	l.now = func() time.Time { return now }
	for i := 0; i < 6; i++ {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("attempt %d refused", i+1)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait <= 0 || wait > 10*time.Second {
		t.Fatalf("7th attempt: %v, wait %v; want refused, wait up to 10s", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another address was refused")
	}
	now = now.Add(wait)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("refused after the wait it announced")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("a second attempt right after the wait was allowed")
	}
	// Idle addresses are forgotten once their bucket is full again.
	now = now.Add(2 * time.Minute)
	l.Allow("c")
	if _, ok := l.clients["a"]; ok {
		t.Errorf("an idle address is still tracked")
	}
}
