package auth

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"crewid"
	"crewid/api"
)

// Limiter limits sign-in and reset attempts per client address: a token
// bucket per address holding PerMinute attempts and refilling at PerMinute
// a minute. It is per node: behind several nodes a client gets the limit on
// each. The client address is the connection's remote address; forwarding
// headers are not trusted.
type Limiter struct {
	perMinute int
	// now is the clock (wall time: the limit is about real request rates).
	now func() time.Time

	mu        sync.Mutex
	clients   map[string]*rate.Limiter
	lastSweep time.Time
}

// maxClients bounds the addresses tracked; past it, idle ones are dropped
// (an idle bucket is full again, so dropping it changes nothing).
const maxClients = 100000

// NewLimiter returns a limiter of perMinute attempts a minute per address,
// or nil (no limit) when perMinute is 0 or less.
func NewLimiter(perMinute int) *Limiter {
	if perMinute <= 0 {
		return nil
	}
	return &Limiter{perMinute: perMinute, now: time.Now, clients: map[string]*rate.Limiter{}}
}

// Allow takes one attempt for addr. When none is left it reports how long
// until one is.
func (l *Limiter) Allow(addr string) (bool, time.Duration) {
	if l == nil {
		return true, 0
	}
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) > time.Minute || len(l.clients) >= maxClients {
		l.sweep(now)
	}
	lim := l.clients[addr]
	if lim == nil {
		lim = rate.NewLimiter(rate.Every(time.Minute/time.Duration(l.perMinute)), l.perMinute)
		l.clients[addr] = lim
	}
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return false, time.Minute
	}
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// sweep drops the buckets that are full again. l.mu is held.
func (l *Limiter) sweep(now time.Time) {
	l.lastSweep = now
	for addr, lim := range l.clients {
		if lim.TokensAt(now) >= float64(l.perMinute) {
			delete(l.clients, addr)
		}
	}
}

// limited wraps a handler with the limiter: over the limit it answers 429
// with Retry-After (whole seconds, at least 1).
func (l *Limiter) limited(next http.HandlerFunc) http.HandlerFunc {
	if l == nil {
		return next
	}
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := l.Allow(api.ClientIP(r)); !ok {
			tooMany(w, r, wait)
			return
		}
		next(w, r)
	}
}

// tooMany answers 429 with Retry-After.
func tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	api.WriteError(w, r, crewid.Errorf(crewid.RateLimited, "Too many attempts from this address; try again in %d seconds.", secs))
}
