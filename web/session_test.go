package web_test

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"crewid/server/servertest"
	"crewid/store/sqlite"
)

// An expired access token is renewed from the session's refresh token,
// also when several requests arrive with it at once (presenting a refresh
// token twice would end the session as stolen).
func TestSessionOutlivesItsAccessTokens(t *testing.T) {
	var offset atomic.Int64
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	env := servertest.Start(t, sqlite.OpenTest(t), servertest.WithClock(clock))
	addAdmin(t, env)
	b := newBrowser(t, env.URL)
	if status, _ := b.signIn("ada", adminPassword); status != http.StatusOK {
		t.Fatalf("sign in: %d", status)
	}
	for round := range 3 {
		offset.Add(int64(11 * time.Minute)) // past the access token's 10 minutes
		var wg sync.WaitGroup
		results := make([]string, 4)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				req, _ := http.NewRequest(http.MethodGet, env.URL+"/profile", nil)
				resp, err := b.client.Do(req)
				if err != nil {
					results[i] = err.Error()
					return
				}
				defer resp.Body.Close()
				raw, _ := io.ReadAll(resp.Body)
				results[i] = string(raw)
			}()
		}
		wg.Wait()
		for i, body := range results {
			if !strings.Contains(body, `id="change-password-form"`) {
				t.Fatalf("round %d, request %d: signed out:\n%s", round, i, body)
			}
		}
	}
}
