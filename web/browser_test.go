package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"crewid"
	"crewid/access"
	"crewid/server/servertest"
	"crewid/store"
)

// The browser tests walk the reference pages' procedures in headless
// Chromium. Without a browser they skip, unless CREWID_REQUIRE_BROWSER is
// set (CI sets it), when they fail.

// chromiumPath finds the browser.
func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CREWID_REQUIRE_BROWSER") != "" {
		t.Fatal("no Chromium found, and CREWID_REQUIRE_BROWSER is set: install it with apt-get install -y chromium")
	}
	t.Skip("browser tests skipped: no Chromium found (apt-get install -y chromium); set CREWID_REQUIRE_BROWSER=1 to make this a failure")
	return ""
}

// tab is one browser session against a test server.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string
	// shots says whether shoot writes the screenshots.
	shots bool

	mu sync.Mutex
	// consoleErrors are the errors the pages wrote to the console (failed
	// loads, policy violations, exceptions).
	consoleErrors []string
}

// eachBackend runs a browser test on every storage backend; screenshots
// are taken on the first only.
func eachBackend(t *testing.T, fn func(t *testing.T, env *servertest.Env, shots bool)) {
	chromiumPath(t)
	first := true
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		shots := first
		first = false
		fn(t, servertest.Start(t, b.Open(t)), shots)
	})
}

// newTab starts a headless browser for the test, 1280 pixels wide.
func newTab(t *testing.T, base string, shots bool) *tab {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.NoSandbox, // the tests may run as root in CI containers
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancel()
		cancelAlloc()
	})
	// The first action starts the browser: it runs on ctx itself, whose
	// end closes the browser, not on a shorter-lived child.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	b := &tab{t: t, ctx: ctx, base: base, shots: shots}
	msgs := chromedp.Console(ctx)
	go func() {
		for m, err := range msgs {
			if err != nil {
				return
			}
			if m.Type == chromedp.ConsoleError || m.Type == chromedp.ConsoleException {
				b.mu.Lock()
				b.consoleErrors = append(b.consoleErrors, m.String()+" ("+m.URL+")")
				b.mu.Unlock()
			}
		}
	}()
	return b
}

// noConsoleErrors fails the test if a page wrote an error to the console.
// The console's messages arrive on their own; a short wait lets the last
// page's come in.
func (b *tab) noConsoleErrors() {
	b.t.Helper()
	b.do(chromedp.Sleep(300 * time.Millisecond))
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.consoleErrors) > 0 {
		b.t.Fatalf("the pages wrote errors to the console:\n%s", strings.Join(b.consoleErrors, "\n"))
	}
}

// answerConfirm makes the page's confirmation questions answer answer
// without a dialog, and records them in window.crewidAsked.
func (b *tab) answerConfirm(answer bool) {
	b.t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`window.crewidAsked = []; window.confirm = function (q) { window.crewidAsked.push(q); return ` +
		strconv.FormatBool(answer) + `; };`))
}

// asked is the questions asked since answerConfirm.
func (b *tab) asked() []string {
	b.t.Helper()
	qs, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string]("window.crewidAsked || []"))
	if err != nil {
		b.t.Fatalf("questions asked: %v", err)
	}
	return qs
}

func (b *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		body, _ := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS("main")))
		b.t.Fatalf("browser at %s: %v\npage text: %s", loc, err, body)
	}
}

// open loads a path and waits for sel.
func (b *tab) open(path, sel string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.base+path), chromedp.WaitVisible(chromedp.CSS(sel)))
}

// fill replaces the value of the input sel by typing.
func (b *tab) fill(sel, value string) {
	b.t.Helper()
	// Clear only resets the value attribute; the live value is a property.
	b.do(chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void]("document.querySelector("+strconv.Quote(sel)+").value = ''"),
		chromedp.SendKeys(chromedp.CSS(sel), value))
}

// choose sets a select's value.
func (b *tab) choose(sel, value string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS(sel), value))
}

// click clicks sel and waits for next to show (the page that follows).
func (b *tab) click(sel, next string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)), chromedp.WaitVisible(chromedp.CSS(next)))
}

// settled waits until htmx has no request, swap or settle under way, so
// that what the test clicks next is the content that stays.
func (b *tab) settled() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	const idle = `document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling, .htmx-added') === null`
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool](idle)); err != nil {
		b.t.Fatalf("htmx did not settle: %v", err)
	}
}

// check clicks the checkbox sel and waits until it shows checked.
func (b *tab) check(sel string) {
	b.t.Helper()
	b.do(chromedp.Click(chromedp.CSS(sel)))
	ctx, cancel := context.WithTimeout(b.ctx, 15*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Poll[bool]("document.querySelector("+strconv.Quote(sel)+").checked")); err != nil {
		b.t.Fatalf("%s did not become checked: %v", sel, err)
	}
}

func (b *tab) text(sel string) string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

func (b *tab) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int]("document.querySelectorAll("+strconv.Quote(sel)+").length"))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

func (b *tab) signIn(login, pw, next string) {
	b.t.Helper()
	b.open("/signin", "#signin-form")
	b.fill("#login", login)
	b.fill("#password", pw)
	b.click("#signin-form button[type=submit]", next)
}

func (b *tab) signOut() {
	b.t.Helper()
	b.click("#sign-out", "#signin-form")
}

// screenshotDir is where the main screens are pictured for the README.
const screenshotDir = "../docs/screenshots"

// shoot saves the current page at phone (390 px) and desktop (1280 px)
// widths as NAME-phone.png and NAME-desktop.png.
func (b *tab) shoot(name string) {
	b.t.Helper()
	if !b.shots {
		return
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	for _, size := range []struct {
		label  string
		width  int64
		mobile bool
	}{{"phone", 390, true}, {"desktop", 1280, false}} {
		opts := []chromedp.EmulateViewportOption{}
		if size.mobile {
			opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateScale(1))
		}
		b.do(chromedp.EmulateViewport(size.width, 844, opts...), chromedp.Sleep(150*time.Millisecond))
		img, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(screenshotDir, name+"-"+size.label+".png"), img, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do(chromedp.EmulateViewport(1280, 900))
}

func personByName(t *testing.T, env *servertest.Env, kind crewid.Kind, name string) crewid.Person {
	t.Helper()
	page, err := env.Store.People(context.Background(), env.Tenant.ID, store.PersonQuery{Kind: kind,
		ListQuery: store.ListQuery{Name: name, Active: store.ActiveAny, PageSize: 10}})
	if err != nil || len(page.Items) != 1 {
		t.Fatalf("find %q: %v (%d found)", name, err, len(page.Items))
	}
	return page.Items[0]
}

// An administrator adds a technician who has only a mobile number and
// sends the invitation; the technician reads the SMS (here: in the
// outbox page), creates the account from its link with the password
// rules shown as they type, and signs in.
func TestBrowserInviteTechnicianBySMS(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *servertest.Env, shots bool) {
		addAdmin(t, env)
		b := newTab(t, env.URL, shots)

		b.open("/signin", "#signin-form")
		b.shoot("sign-in")
		b.signIn("ada", adminPassword, "#sign-out")
		if env := b.text("#environment"); !strings.EqualFold(env, "integration") {
			t.Fatalf("environment shown: %q", env)
		}
		b.open("/settings/people/technicians", "#people-table")
		b.click("#add-person", "#person-form")
		b.fill("#name", "Rita Ramos")
		b.fill("#phoneNumber", "(555) 201-3344")
		b.do(chromedp.Click(chromedp.CSS("#method-invite")))
		b.shoot("technician-add")
		b.click("#save-person", "#profile-actions")
		if got := b.text("#flash"); !strings.Contains(got, "Rita Ramos was added and invited.") {
			t.Fatalf("flash: %q", got)
		}
		if got := b.text("#person-status"); got != "Pending" {
			t.Fatalf("status after invite: %q", got)
		}
		b.shoot("technician-edit")

		b.open("/settings/outbox?recipient=%2B15552013344", "#outbox-table")
		if got := b.text("#outbox-table .message .recipient"); got != "+15552013344" {
			t.Fatalf("outbox recipient: %q", got)
		}
		b.shoot("outbox")
		link := b.text("#outbox-table .message .message-link")
		if !strings.Contains(link, "/invitations/accept?token=") {
			t.Fatalf("invitation link: %q", link)
		}
		b.open("/settings/people/technicians", "#people-table")
		b.shoot("technicians")
		b.signOut()

		b.do(chromedp.Navigate(link), chromedp.WaitVisible(chromedp.CSS("#accept-form")))
		b.fill("#login", "rita.ramos")
		b.fill("#password", "short")
		if b.count("#password-rules li.met[data-rule=length]") != 0 || b.count("#password-rules li.met[data-rule=lower]") != 1 {
			t.Fatal("password rules do not follow the typing")
		}
		b.fill("#password", "Sunny-Day-2026")
		if n := b.count("#password-rules li.met"); n != 4 {
			t.Fatalf("rules met for a good password: %d of 4", n)
		}
		b.fill("#confirmPassword", "Sunny-Day-2026")
		b.shoot("invitation-accept")
		b.click("#accept-form button[type=submit]", "#signin-form")
		if got := b.text("#flash"); !strings.Contains(got, "rita.ramos") {
			t.Fatalf("flash after acceptance: %q", got)
		}
		b.signIn("rita.ramos", "Sunny-Day-2026", "#home-login")
		if got := b.text("main h1"); got != "Welcome, Rita Ramos" {
			t.Fatalf("home: %q", got)
		}
		// A technician sees no administration.
		if n := b.count(`nav a[href="/settings/people/technicians"]`); n != 0 {
			t.Fatal("a technician is shown the Technicians screen")
		}
		b.open("/profile", "#change-password-form")
		b.shoot("my-profile")
	})
}

// A login and password set by an administrator must both be changed at
// first sign-in.
func TestBrowserAdminAssignedFirstSignIn(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *servertest.Env, shots bool) {
		addAdmin(t, env)
		b := newTab(t, env.URL, shots)
		b.signIn("ada", adminPassword, "#sign-out")
		b.open("/settings/people/technicians/new", "#person-form")
		b.fill("#name", "Tina Torres")
		b.fill("#email", "tina@acme.test")
		b.do(chromedp.Click(chromedp.CSS("#method-assign")))
		b.fill("#login", "tina.t")
		b.fill("#password", "Given-Pass-2026")
		b.click("#save-person", "#profile-actions")
		if got := b.text("#person-status"); got != "Admin Assigned" {
			t.Fatalf("status: %q", got)
		}
		b.signOut()

		b.signIn("tina.t", "Given-Pass-2026", "#required-action-form")
		b.shoot("required-action")
		// The same password again is refused, beside the field.
		b.fill("#login", "tina.torres")
		b.fill("#password", "Given-Pass-2026")
		b.fill("#confirmPassword", "Given-Pass-2026")
		b.click("#required-action-form button[type=submit]", ".field-error")
		b.fill("#password", "Own-Choice-2026")
		b.fill("#confirmPassword", "Own-Choice-2026")
		b.click("#required-action-form button[type=submit]", "#home-login")
		if got := b.text("#home-login"); got != "tina.torres" {
			t.Fatalf("login after the change: %q", got)
		}
		b.signOut()
		b.signIn("tina.torres", "Own-Choice-2026", "#home-login")
	})
}

var resetCode = regexp.MustCompile(`code[^\n]*? is ([A-Za-z0-9]+)|\n {4}([A-Za-z0-9]+)\n`)

// waitForCode reads the newest reset code sent to recipient.
func waitForCode(t *testing.T, env *servertest.Env, recipient string) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		msgs, err := env.Store.Messages(context.Background(), env.Tenant.ID, store.MessageQuery{Recipient: recipient, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if !strings.Contains(strings.ToLower(m.Subject+m.Body), "reset code") {
				continue
			}
			if g := resetCode.FindStringSubmatch(m.Body); g != nil {
				return g[1] + g[2]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no reset code for %s", recipient)
	return ""
}

// Forgotten password: identifier, then the code from the message, then
// a new password.
func TestBrowserForgottenPassword(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *servertest.Env, shots bool) {
		addPerson(t, env, crewid.KindEmployee, "Erin Office", "erin@acme.test", access.KeyOfficeStaff, "erin", "Old-Secret-2026")
		b := newTab(t, env.URL, shots)
		b.open("/signin", "#signin-form")
		b.click("#forgot-password", "#reset-start-form")
		b.fill("#identifier", "erin@acme.test")
		b.click("#reset-start-form button[type=submit]", "#reset-verify-form")
		code := waitForCode(t, env, "erin@acme.test")

		// Codes are case-sensitive.
		b.fill("#code", strings.ToLower(code))
		b.click("#reset-verify-form button[type=submit]", ".field-error")
		b.fill("#code", code)
		b.click("#reset-verify-form button[type=submit]", "#reset-new-form")
		b.fill("#password", "New-Secret-2026")
		b.fill("#confirmPassword", "New-Secret-2026")
		b.click("#reset-new-form button[type=submit]", "#signin-form")
		b.signIn("erin", "New-Secret-2026", "#home-login")
	})
}

// Bulk activation asks for each technician's license type.
func TestBrowserBulkActivate(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *servertest.Env, shots bool) {
		admin := addAdmin(t, env)
		ctx := context.Background()
		var ids []int64
		for _, name := range []string{"Bob Baker", "Ken Kato"} {
			p := addPerson(t, env, crewid.KindTechnician, name, strings.ToLower(strings.Fields(name)[0])+"@acme.test", access.KeyTechnician, "", "")
			if err := env.Server.People.Deactivate(ctx, operator, env.Tenant.ID, crewid.KindTechnician, p.ID); err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
		}
		_ = admin
		b := newTab(t, env.URL, shots)
		b.signIn("ada", adminPassword, "#sign-out")
		// The filters answer in place (htmx) and keep the address.
		b.open("/settings/people/technicians", "#people-table")
		if n := b.count("#people-table tbody tr[data-person]"); n != 0 {
			t.Fatalf("active technicians listed: %d", n)
		}
		if ok, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool]("typeof htmx === 'object' && htmx.config.includeIndicatorStyles === false")); err != nil || !ok {
			t.Fatalf("htmx is not loaded under the page's policy: %v", err)
		}
		b.choose("#f-active", "false")
		b.click("#apply-filters", "#people-table tbody tr[data-person]")
		b.settled()
		if n := b.count("#people-table tbody tr[data-person]"); n != 2 {
			t.Fatalf("inactive technicians listed: %d", n)
		}
		if loc, _ := chromedp.Run(b.ctx, chromedp.Location()); !strings.Contains(loc, "active=false") {
			t.Fatalf("the filtered list's address: %s", loc)
		}
		for _, id := range ids {
			b.check(`input[name=ids][value="` + strconv.FormatInt(id, 10) + `"]`)
		}
		b.choose("#bulk-action", "Activate")
		b.click("#bulk-go", "#bulk-confirm")
		b.choose("#license-"+strconv.FormatInt(ids[0], 10), string(crewid.LicenseManagedTech))
		b.choose("#license-"+strconv.FormatInt(ids[1], 10), string(crewid.LicenseNonManagedTech))
		b.shoot("bulk-activate")
		b.click("#bulk-apply", "#bulk-summary")
		if got := b.text("#bulk-summary"); got != "2 of 2 done." {
			t.Fatalf("summary: %q", got)
		}
		for i, want := range []crewid.LicenseType{crewid.LicenseManagedTech, crewid.LicenseNonManagedTech} {
			p, err := env.Store.Person(ctx, env.Tenant.ID, ids[i])
			if err != nil {
				t.Fatal(err)
			}
			if !p.Active || p.LicenseType != want {
				t.Fatalf("%s: active %v, license %s; want active with %s", p.Name, p.Active, p.LicenseType, want)
			}
		}
		// Nothing failed to load and nothing broke the page's policy
		// (htmx's swaps included).
		b.noConsoleErrors()
	})
}

// A deactivated technician's session ends and signing in is refused.
func TestBrowserDeactivateRefusesSignIn(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *servertest.Env, shots bool) {
		addAdmin(t, env)
		tech := addPerson(t, env, crewid.KindTechnician, "Dave Diaz", "dave@acme.test", access.KeyTechnician, "dave", "Dave-Secret-2026")
		techClient := newBrowser(t, env.URL)
		if status, body := techClient.signIn("dave", "Dave-Secret-2026"); status != 200 || !strings.Contains(body, "Welcome, Dave Diaz") {
			t.Fatalf("technician sign-in: %d", status)
		}

		b := newTab(t, env.URL, shots)
		b.signIn("ada", adminPassword, "#sign-out")
		b.open("/settings/people/technicians/"+strconv.FormatInt(tech.ID, 10), "#action-form")
		b.choose("#action", "Deactivate")
		// Declining the question leaves the technician as they are.
		b.answerConfirm(false)
		b.do(chromedp.Click(chromedp.CSS("#action-go")), chromedp.Sleep(300*time.Millisecond))
		if q := b.asked(); len(q) != 1 || !strings.HasPrefix(q[0], "Deactivate Dave Diaz?") {
			t.Fatalf("questions before deactivating: %q", q)
		}
		if p, err := env.Store.Person(context.Background(), env.Tenant.ID, tech.ID); err != nil || !p.Active {
			t.Fatalf("a declined deactivation went ahead: %v", err)
		}
		b.answerConfirm(true)
		b.click("#action-go", "#flash")
		if got := b.text("#person-status"); got != "Inactive" {
			t.Fatalf("status: %q", got)
		}
		b.signOut()

		// The session the technician holds ends within seconds.
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, body := techClient.get("/")
			if strings.Contains(body, `id="signin-form"`) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the deactivated technician's console session still works")
			}
			time.Sleep(200 * time.Millisecond)
		}
		b.open("/signin", "#signin-form")
		b.fill("#login", "dave")
		b.fill("#password", "Dave-Secret-2026")
		b.click("#signin-form button[type=submit]", "#form-error")
		if got := b.text("#form-error"); got != "The login or password is incorrect." {
			t.Fatalf("refusal: %q", got)
		}
	})
}

// A dispatcher without Edit Employee sees no edit controls, and a form
// posted anyway is refused with nothing changed.
func TestBrowserDispatcherCannotEdit(t *testing.T) {
	eachBackend(t, func(t *testing.T, env *servertest.Env, shots bool) {
		addPerson(t, env, crewid.KindEmployee, "Dina Dispatch", "dina@acme.test", access.KeyDispatcher, "dina", "Dina-Secret-2026")
		tech := addPerson(t, env, crewid.KindTechnician, "Tom Tech", "tom@acme.test", access.KeyTechnician, "", "")
		tech, err := env.Store.Person(context.Background(), env.Tenant.ID, tech.ID) // as stored
		if err != nil {
			t.Fatal(err)
		}
		b := newTab(t, env.URL, shots)
		b.signIn("dina", "Dina-Secret-2026", "#sign-out")
		b.open("/settings/people/technicians", "#people-table")
		if b.count("a.edit") != 0 || b.count("#add-person") != 0 || b.count("#bulk-form") != 0 {
			t.Fatal("a dispatcher is shown edit controls")
		}
		if b.count("a.view") != 1 {
			t.Fatal("a dispatcher cannot open the profile")
		}
		b.click("a.view", "#person-form")
		if b.count("#save-person") != 0 || b.count("#profile-actions") != 0 {
			t.Fatal("the profile offers changes to a dispatcher")
		}
		// Post the form anyway, as a crafted page would.
		b.do(chromedp.Evaluate[chromedp.Void](`(() => {
			document.querySelectorAll("fieldset").forEach(f => f.disabled = false);
			document.getElementById("name").value = "Changed Name";
			document.getElementById("person-form").submit();
		})()`))
		b.do(chromedp.WaitVisible(chromedp.CSS("#page-error")))
		if got := b.text("#page-error"); !strings.Contains(got, "Edit Employee") {
			t.Fatalf("refusal: %q", got)
		}
		p, err := env.Store.Person(context.Background(), env.Tenant.ID, tech.ID)
		if err != nil {
			t.Fatal(err)
		}
		if p.Name != "Tom Tech" || !p.ModifiedOn.Equal(tech.ModifiedOn) {
			t.Fatalf("the refused form changed the profile: %q", p.Name)
		}
	})
}
