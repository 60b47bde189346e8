package notifytest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Credentials and numbers of the SMS receiver.
const (
	SMSAccountSID = "ACnotifytest0000000000000000000000"
	SMSAuthToken  = "notifytest-auth-token"
	SMSFrom       = "+15550009999"
	smsPrefix     = "/provider"
)

// Text is one request the SMS receiver got.
type Text struct {
	To, From, Body string
	// Key is the Idempotency-Key header.
	Key string
	// Status is what the receiver answered.
	Status int
}

// SMSReceiver is an HTTP server that answers like Twilio's Messages API
// (POST /2010-04-01/Accounts/{sid}/Messages.json, below a path prefix) and
// keeps what it is sent. Requests with the wrong path, method,
// credentials or form are answered as Twilio would (404, 405, 401, 400)
// and recorded too.
type SMSReceiver struct {
	Server *httptest.Server

	mu       sync.Mutex
	texts    []Text
	status   int
	body     string
	delay    time.Duration
	problems []string
	changed  chan struct{}
}

// StartSMS starts a receiver that accepts every valid request with 201.
func StartSMS(t testing.TB) *SMSReceiver {
	t.Helper()
	r := &SMSReceiver{changed: make(chan struct{})}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Server.Close)
	return r
}

// URL is the --sms URL of the receiver.
func (r *SMSReceiver) URL() string {
	u, _ := url.Parse(r.Server.URL)
	u.User = url.UserPassword(SMSAccountSID, SMSAuthToken)
	u.Path = smsPrefix
	return u.String() + "?from=" + url.QueryEscape(SMSFrom)
}

// Respond makes the receiver answer valid requests with status and body
// (a JSON error in Twilio's form, say) until Respond(0, "") restores 201.
func (r *SMSReceiver) Respond(status int, body string) {
	r.mu.Lock()
	r.status, r.body = status, body
	r.mu.Unlock()
}

// SetDelay makes the receiver wait d before answering.
func (r *SMSReceiver) SetDelay(d time.Duration) {
	r.mu.Lock()
	r.delay = d
	r.mu.Unlock()
}

// Texts returns every request received, in order.
func (r *SMSReceiver) Texts() []Text {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Text(nil), r.texts...)
}

// Accepted returns the requests answered 2xx.
func (r *SMSReceiver) Accepted() []Text {
	var out []Text
	for _, x := range r.Texts() {
		if x.Status >= 200 && x.Status < 300 {
			out = append(out, x)
		}
	}
	return out
}

// Problems lists requests that were not what the Messages API expects.
func (r *SMSReceiver) Problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.problems...)
}

// WaitFor waits until n requests have been answered 2xx and returns them.
func (r *SMSReceiver) WaitFor(t testing.TB, n int, timeout time.Duration) []Text {
	t.Helper()
	deadline := time.After(timeout)
	for {
		r.mu.Lock()
		changed := r.changed
		r.mu.Unlock()
		if got := r.Accepted(); len(got) >= n {
			return got
		}
		select {
		case <-changed:
		case <-deadline:
			t.Fatalf("notifytest: %d texts accepted after %v, want %d (problems: %v)", len(r.Accepted()), timeout, n, r.Problems())
		}
	}
}

func (r *SMSReceiver) serve(w http.ResponseWriter, req *http.Request) {
	r.mu.Lock()
	status, body, delay := r.status, r.body, r.delay
	r.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
	text := Text{Key: req.Header.Get("Idempotency-Key")}
	problem := ""
	want := smsPrefix + "/2010-04-01/Accounts/" + SMSAccountSID + "/Messages.json"
	user, pass, ok := req.BasicAuth()
	switch {
	case req.URL.Path != want:
		status, body, problem = http.StatusNotFound, `{"code":20404,"message":"The requested resource was not found","status":404}`, "path "+req.URL.Path
	case req.Method != http.MethodPost:
		status, body, problem = http.StatusMethodNotAllowed, `{"code":20004,"message":"Method not allowed","status":405}`, "method "+req.Method
	case !ok || user != SMSAccountSID || pass != SMSAuthToken:
		status, body, problem = http.StatusUnauthorized, `{"code":20003,"message":"Authenticate","status":401}`, "credentials"
	case !strings.HasPrefix(req.Header.Get("Content-Type"), "application/x-www-form-urlencoded"):
		status, body, problem = http.StatusBadRequest, `{"code":20001,"message":"Bad content type","status":400}`, "content type "+req.Header.Get("Content-Type")
	}
	if problem == "" {
		if err := req.ParseForm(); err != nil {
			status, body, problem = http.StatusBadRequest, `{"code":20001,"message":"Bad form","status":400}`, "form: "+err.Error()
		} else {
			text.To, text.From, text.Body = req.PostForm.Get("To"), req.PostForm.Get("From"), req.PostForm.Get("Body")
			if text.To == "" || text.Body == "" || (text.From == "" && req.PostForm.Get("MessagingServiceSid") == "") {
				status, body, problem = http.StatusBadRequest, `{"code":21604,"message":"A 'To' phone number, a 'From' and a 'Body' are required.","status":400}`, "missing To, From or Body"
			}
		}
	}
	if status == 0 {
		status = http.StatusCreated
		body = fmt.Sprintf(`{"sid":"SM%032d","status":"queued","to":%q,"from":%q}`, len(r.Texts())+1, text.To, text.From)
	}
	text.Status = status
	r.mu.Lock()
	r.texts = append(r.texts, text)
	if problem != "" {
		r.problems = append(r.problems, problem)
	}
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}
