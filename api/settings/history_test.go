package settings_test

// End-to-end tests of history: every mutating route records exactly one
// event with the right before and after values, the history list and
// export, and that history never holds a secret. Identifiers here start
// with "hist" so they never collide with the other tests of the package.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"crewid"
	"crewid/access"
	"crewid/api/settings"
	"crewid/history"
	"crewid/server/servertest"
	"crewid/store"
	"crewid/webhooks"
)

// histEnv is a running server and its tenant's application.
type histEnv struct {
	env   *servertest.Env
	tid   int64
	token string
	seq   int
}

func newHistEnv(t *testing.T, b servertest.Backend) *histEnv {
	t.Helper()
	env := servertest.Start(t, b.Open(t))
	return &histEnv{env: env, tid: env.Tenant.ID, token: env.Token(t, env.App)}
}

func (x *histEnv) sp(format string, args ...any) string {
	return fmt.Sprintf("/settings/v2/tenant/%d", x.tid) + fmt.Sprintf(format, args...)
}

func (x *histEnv) dp(format string, args ...any) string {
	return fmt.Sprintf("/dispatch/v2/tenant/%d", x.tid) + fmt.Sprintf(format, args...)
}

// histUA is the user agent of the test's requests unless one is given.
const histUA = "crewid-history-test/1.0"

// callAs sends a request with the application's credentials and a user
// agent.
func (x *histEnv) callAs(t *testing.T, ua, method, path string, body any) (int, []byte) {
	t.Helper()
	auth := func(_ context.Context, req *http.Request) error {
		req.Header.Set("Authorization", "Bearer "+x.token)
		req.Header.Set("ST-App-Key", x.env.App.AppKey)
		req.Header.Set("User-Agent", ua)
		return nil
	}
	return x.env.Do(t, auth, method, path, body)
}

func (x *histEnv) call(t *testing.T, method, path string, body any) (int, []byte) {
	t.Helper()
	return x.callAs(t, histUA, method, path, body)
}

// ok sends a request that must succeed and returns its body.
func (x *histEnv) ok(t *testing.T, method, path string, body any) []byte {
	t.Helper()
	status, raw := x.call(t, method, path, body)
	if status != http.StatusOK {
		t.Fatalf("%s %s: status %d; body %s", method, path, status, raw)
	}
	return raw
}

// create sends a create request and returns the new record's id.
func (x *histEnv) create(t *testing.T, path string, body any) int64 {
	t.Helper()
	var out struct {
		ID int64 `json:"id"`
	}
	if err := json.Unmarshal(x.ok(t, "POST", path, body), &out); err != nil || out.ID == 0 {
		t.Fatalf("POST %s: no id in the answer (%v)", path, err)
	}
	return out.ID
}

// unique returns a name no other call returns.
func (x *histEnv) unique(prefix string) string {
	x.seq++
	return fmt.Sprintf("%s %d", prefix, x.seq)
}

func (x *histEnv) email() string { x.seq++; return fmt.Sprintf("hist.person%d@example.com", x.seq) }
func (x *histEnv) mobile() string {
	x.seq++
	return fmt.Sprintf("+1555%07d", 3000000+x.seq)
}

func (x *histEnv) role(key string) int64 { return x.env.Roles[key].ID }

func (x *histEnv) newEmployee(t *testing.T) int64 {
	t.Helper()
	return x.create(t, x.sp("/employees"), map[string]any{"name": x.unique("Employee"), "email": x.email(),
		"roleIds": []int64{x.role(access.KeyOfficeStaff)}, "positions": []string{}, "accountCreationMethod": "CreateLater"})
}

func (x *histEnv) newTechnician(t *testing.T) int64 {
	t.Helper()
	return x.create(t, x.sp("/technicians"), map[string]any{"name": x.unique("Technician"), "phoneNumber": x.mobile(),
		"roleIds": []int64{x.role(access.KeyTechnician)}, "licenseType": "ManagedTech", "positions": []string{}, "accountCreationMethod": "CreateLater"})
}

// histEvent is an event as the history API returns it.
type histEvent struct {
	ID         int64     `json:"id"`
	OccurredOn time.Time `json:"occurredOn"`
	EventType  string    `json:"eventType"`
	RecordType string    `json:"recordType"`
	RecordID   int64     `json:"recordId"`
	Actor      struct {
		Type string `json:"type"`
		ID   *int64 `json:"id"`
		Name string `json:"name"`
	} `json:"actor"`
	IP        *string         `json:"ip"`
	UserAgent *string         `json:"userAgent"`
	Before    json.RawMessage `json:"before"`
	After     json.RawMessage `json:"after"`
}

type histExport struct {
	HasMore      bool        `json:"hasMore"`
	ContinueFrom string      `json:"continueFrom"`
	Data         []histEvent `json:"data"`
}

type histPage struct {
	Page       int         `json:"page"`
	PageSize   int         `json:"pageSize"`
	HasMore    bool        `json:"hasMore"`
	TotalCount *int        `json:"totalCount"`
	Data       []histEvent `json:"data"`
}

// export follows the export of history from a continuation token ("" for
// the start) to its end and returns the events and the last token.
func (x *histEnv) export(t *testing.T, from, filters string) ([]histEvent, string) {
	t.Helper()
	var all []histEvent
	for range 10000 {
		path := x.sp("/export/history?from=%s%s", url.QueryEscape(from), filters)
		var page histExport
		if err := json.Unmarshal(x.ok(t, "GET", path, nil), &page); err != nil {
			t.Fatalf("export/history: %v", err)
		}
		if page.ContinueFrom == "" {
			t.Fatalf("export/history: no continueFrom")
		}
		all = append(all, page.Data...)
		from = page.ContinueFrom
		if !page.HasMore {
			return all, from
		}
	}
	t.Fatalf("export/history does not end")
	return nil, ""
}

// list reads one page of the history list.
func (x *histEnv) list(t *testing.T, query string) histPage {
	t.Helper()
	var page histPage
	if err := json.Unmarshal(x.ok(t, "GET", x.sp("/history?%s", query), nil), &page); err != nil {
		t.Fatalf("history: %v", err)
	}
	return page
}

// doc decodes a before or after document: nil for null, else an object.
func histDoc(t *testing.T, what string, raw json.RawMessage) map[string]any {
	t.Helper()
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("%s is not a JSON object: %s", what, raw)
	}
	return m
}

// changedKeys lists the top-level fields whose values differ.
func changedKeys(before, after map[string]any) []string {
	var out []string
	for k, v := range after {
		if w, ok := before[k]; !ok || !reflect.DeepEqual(v, w) {
			out = append(out, k)
		}
	}
	for k := range before {
		if _, ok := after[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// histRequest is one request of the route table and what it must record.
type histRequest struct {
	path string
	body any
	// The event the request records. A zero recordID means the id the
	// answer returns (creations).
	eventType, recordType string
	recordID              int64
	// changed lists, for an update, exactly the fields whose values the
	// change alters (modifiedOn included).
	changed []string
	// check looks at the values, when more than changed says.
	check func(t *testing.T, before, after map[string]any)
	// also lists the types of further events the request records, after
	// the first, in order (an invitation sent with a creation). No
	// eventType means the request changes nothing and records nothing.
	also []string
}

// histCase prepares one request of a route: it creates what the request
// needs (the events of the preparation are not counted).
type histCase struct {
	name    string
	prepare func(t *testing.T, x *histEnv) histRequest
}

func wantValues(want map[string]any) func(t *testing.T, before, after map[string]any) {
	return func(t *testing.T, _, after map[string]any) {
		t.Helper()
		for k, v := range want {
			got, _ := json.Marshal(after[k])
			exp, _ := json.Marshal(v)
			if !bytes.Equal(got, exp) {
				t.Errorf("after.%s = %s, want %s", k, got, exp)
			}
		}
	}
}

func wantField(t *testing.T, doc map[string]any, what, key string, want any) {
	t.Helper()
	got, _ := json.Marshal(doc[key])
	exp, _ := json.Marshal(want)
	if !bytes.Equal(got, exp) {
		t.Errorf("%s.%s = %s, want %s", what, key, got, exp)
	}
}

// histRoutes is the table of every mutating route: the key is the route's
// method and pattern as settings.Handler.Routes lists it. A route added
// without an entry here fails TestHistoryEveryMutatingRoute.
func histRoutes() map[string][]histCase {
	const sb, db = "/settings/v2/tenant/{tenant}", "/dispatch/v2/tenant/{tenant}"
	people := func(kind crewid.Kind, plural string) map[string][]histCase {
		kindName := string(kind)
		newPerson := func(t *testing.T, x *histEnv) int64 {
			if kind == crewid.KindEmployee {
				return x.newEmployee(t)
			}
			return x.newTechnician(t)
		}
		createBody := func(x *histEnv) map[string]any {
			if kind == crewid.KindEmployee {
				return map[string]any{"name": x.unique("New Employee"), "email": strings.ToUpper(x.email()),
					"roleIds": []int64{x.role(access.KeyOfficeStaff)}, "positions": []string{}, "accountCreationMethod": "CreateLater"}
			}
			return map[string]any{"name": x.unique("New Technician"), "phoneNumber": x.mobile(), "email": x.email(),
				"roleIds": []int64{x.role(access.KeyTechnician)}, "licenseType": "NonManagedTech", "positions": []string{}, "accountCreationMethod": "CreateLater"}
		}
		// newHolder creates a person with a login and password.
		newHolder := func(t *testing.T, x *histEnv) int64 {
			body := createBody(x)
			body["accountCreationMethod"], body["password"] = "AssignLoginAndPassword", "Hist-Holder-Pass-31x"
			body["login"] = strings.ReplaceAll(x.unique("hist.holder"), " ", "")
			return x.create(t, x.sp("/%s", plural), body)
		}
		accountChange := func(t *testing.T, x *histEnv, id int64, body map[string]any, verb string) histRequest {
			return histRequest{path: x.sp("/%s/%d/account-actions", plural, id), body: body,
				eventType: kindName + "." + verb, recordType: kindName, recordID: id, changed: []string{"account", "modifiedOn"}}
		}
		activate := map[string]any{"action": "Activate"}
		if kind == crewid.KindTechnician {
			activate["licenseType"] = "NonManagedTechnician" // created as ManagedTech
		}
		return map[string][]histCase{
			"POST " + sb + "/" + plural: {
				{"CreateLater", func(t *testing.T, x *histEnv) histRequest {
					body := createBody(x)
					return histRequest{path: x.sp("/%s", plural), body: body, eventType: kindName + ".Created", recordType: kindName,
						check: func(t *testing.T, before, after map[string]any) {
							want := map[string]any{"name": body["name"], "kind": kindName, "active": true,
								"account": map[string]any{"state": "None", "login": "", "passwordSetOn": nil, "temporaryUntil": nil,
									"mustChange": "", "lastSignInOn": nil, "failedSignIns": 0, "lockedUntil": nil, "sessionsNotBefore": nil}}
							if kind == crewid.KindEmployee {
								want["email"] = strings.ToLower(body["email"].(string))
								want["roleIds"] = []int64{x.role(access.KeyOfficeStaff)}
							} else {
								want["mobilePhone"] = body["phoneNumber"]
								want["licenseType"] = "NonManagedTechnician"
								want["roleIds"] = []int64{x.role(access.KeyTechnician)}
							}
							wantValues(want)(t, before, after)
						}}
				}},
				{"AssignLoginAndPassword", func(t *testing.T, x *histEnv) histRequest {
					body := createBody(x)
					body["accountCreationMethod"], body["password"] = "AssignLoginAndPassword", "Hist-Secret-4711x"
					body["login"] = strings.ReplaceAll(x.unique("hist.login"), " ", "")
					return histRequest{path: x.sp("/%s", plural), body: body, eventType: kindName + ".Created", recordType: kindName,
						check: func(t *testing.T, _, after map[string]any) {
							account, _ := after["account"].(map[string]any)
							wantField(t, account, "after.account", "login", body["login"])
							wantField(t, account, "after.account", "state", "AdminAssigned")
							wantField(t, account, "after.account", "mustChange", "ChangeLoginAndPassword")
							if _, ok := account["passwordHash"]; ok {
								t.Errorf("after.account holds the password hash")
							}
							if account["passwordSetOn"] == nil {
								t.Errorf("after.account.passwordSetOn is null")
							}
						}}
				}},
				{"SendInvite", func(t *testing.T, x *histEnv) histRequest {
					body := createBody(x)
					body["accountCreationMethod"] = "SendInvite"
					return histRequest{path: x.sp("/%s", plural), body: body, eventType: kindName + ".Created", recordType: kindName,
						also: []string{"Invitation.Sent"},
						check: func(t *testing.T, _, after map[string]any) {
							account, _ := after["account"].(map[string]any)
							wantField(t, account, "after.account", "state", "Invited")
						}}
				}},
			},
			"PATCH " + sb + "/" + plural + "/{id}": {
				{"Update", func(t *testing.T, x *histEnv) histRequest {
					id := newPerson(t, x)
					body := map[string]any{"name": x.unique("Renamed"), "skills": []string{"Brazing", "Wiring"}}
					changed := []string{"modifiedOn", "name", "skills"}
					if kind == crewid.KindTechnician {
						body["phoneNumber"] = x.mobile()
						changed = append(changed, "mobilePhone")
					} else {
						body["phoneNumber"] = "+12125550100"
						body["mobilePhoneNumber"] = x.mobile()
						changed = append(changed, "mobilePhone", "officePhone")
					}
					slices.Sort(changed)
					return histRequest{path: x.sp("/%s/%d", plural, id), body: body, eventType: kindName + ".Updated", recordType: kindName, recordID: id,
						changed: changed,
						check: func(t *testing.T, before, after map[string]any) {
							wantField(t, after, "after", "name", body["name"])
							wantField(t, after, "after", "skills", body["skills"])
							if kind == crewid.KindTechnician {
								wantField(t, after, "after", "mobilePhone", body["phoneNumber"])
							} else {
								wantField(t, after, "after", "mobilePhone", body["mobilePhoneNumber"])
								wantField(t, after, "after", "officePhone", body["phoneNumber"])
							}
							if before["name"] == after["name"] {
								t.Errorf("before.name is the new name")
							}
						}}
				}},
			},
			"POST " + sb + "/" + plural + "/{id}/account-actions": {
				{"Deactivate", func(t *testing.T, x *histEnv) histRequest {
					id := newPerson(t, x)
					return histRequest{path: x.sp("/%s/%d/account-actions", plural, id), body: map[string]any{"action": "Deactivate"},
						eventType: kindName + ".Deactivated", recordType: kindName, recordID: id,
						changed: []string{"account", "active", "modifiedOn"},
						check: func(t *testing.T, before, after map[string]any) {
							wantField(t, before, "before", "active", true)
							wantField(t, after, "after", "active", false)
						}}
				}},
				{"Activate", func(t *testing.T, x *histEnv) histRequest {
					id := newPerson(t, x)
					x.ok(t, "POST", x.sp("/%s/%d/account-actions", plural, id), map[string]any{"action": "Deactivate"})
					changed := []string{"active", "modifiedOn"}
					if kind == crewid.KindTechnician {
						changed = []string{"active", "licenseType", "modifiedOn"}
					}
					return histRequest{path: x.sp("/%s/%d/account-actions", plural, id), body: activate,
						eventType: kindName + ".Activated", recordType: kindName, recordID: id, changed: changed,
						check: func(t *testing.T, before, after map[string]any) {
							wantField(t, before, "before", "active", false)
							wantField(t, after, "after", "active", true)
						}}
				}},
				{"SendInvite", func(t *testing.T, x *histEnv) histRequest {
					id := newPerson(t, x)
					req := accountChange(t, x, id, map[string]any{"action": "SendInvite"}, "Updated")
					req.also = []string{"Invitation.Sent"}
					req.check = func(t *testing.T, before, after map[string]any) {
						wantField(t, before["account"].(map[string]any), "before.account", "state", "None")
						wantField(t, after["account"].(map[string]any), "after.account", "state", "Invited")
					}
					return req
				}},
				{"SetLoginAndPassword", func(t *testing.T, x *histEnv) histRequest {
					id := newPerson(t, x)
					login := strings.ReplaceAll(x.unique("hist.set"), " ", "")
					req := accountChange(t, x, id, map[string]any{"action": "SetLoginAndPassword", "login": login, "password": "Hist-Set-Pass-77x"}, "LoginAndPasswordSet")
					req.check = func(t *testing.T, before, after map[string]any) {
						account := after["account"].(map[string]any)
						wantField(t, account, "after.account", "login", login)
						wantField(t, account, "after.account", "state", "AdminAssigned")
						if _, ok := account["passwordHash"]; ok {
							t.Errorf("after.account holds the password hash")
						}
					}
					return req
				}},
				{"SetTemporaryPassword", func(t *testing.T, x *histEnv) histRequest {
					id := newHolder(t, x)
					req := accountChange(t, x, id, map[string]any{"action": "SetTemporaryPassword", "password": "Hist-Temp-Pass-42x"}, "TemporaryPasswordSet")
					req.check = func(t *testing.T, before, after map[string]any) {
						account := after["account"].(map[string]any)
						if account["temporaryUntil"] == nil || before["account"].(map[string]any)["temporaryUntil"] != nil {
							t.Errorf("temporaryUntil before %v, after %v", before["account"], account)
						}
					}
					return req
				}},
				{"SendPasswordResetLink", func(t *testing.T, x *histEnv) histRequest {
					id := newHolder(t, x)
					return histRequest{path: x.sp("/%s/%d/account-actions", plural, id), body: map[string]any{"action": "SendPasswordResetLink"},
						eventType: kindName + ".PasswordResetLinkSent", recordType: kindName, recordID: id,
						check: func(t *testing.T, before, after map[string]any) {
							if before != nil || after == nil || after["channel"] == nil {
								t.Errorf("before %v, after %v; want null and the message sent", before, after)
							}
							for k := range after {
								if strings.Contains(strings.ToLower(k), "token") {
									t.Errorf("after has %q", k)
								}
							}
						}}
				}},
				{"Unlock", func(t *testing.T, x *histEnv) histRequest {
					id := newHolder(t, x)
					x.ok(t, "PATCH", x.sp("/%s/%d", plural, id), map[string]any{"accountLocked": true})
					req := accountChange(t, x, id, map[string]any{"action": "Unlock"}, "Unlocked")
					req.check = func(t *testing.T, before, after map[string]any) {
						if before["account"].(map[string]any)["lockedUntil"] == nil || after["account"].(map[string]any)["lockedUntil"] != nil {
							t.Errorf("lockedUntil before %v, after %v", before["account"], after["account"])
						}
					}
					return req
				}},
				{"UnlockNothing", func(t *testing.T, x *histEnv) histRequest {
					// Nothing changes, so nothing is recorded.
					id := newHolder(t, x)
					return histRequest{path: x.sp("/%s/%d/account-actions", plural, id), body: map[string]any{"action": "Unlock"}}
				}},
			},
			"POST " + sb + "/" + plural + "/account-actions": {
				{"BulkDeactivate", func(t *testing.T, x *histEnv) histRequest {
					id := newPerson(t, x)
					return histRequest{path: x.sp("/%s/account-actions", plural), body: map[string]any{"action": "Deactivate", "ids": []int64{id}},
						eventType: kindName + ".Deactivated", recordType: kindName, recordID: id,
						changed: []string{"account", "active", "modifiedOn"}}
				}},
			},
		}
	}

	table := map[string][]histCase{
		"POST " + sb + "/user-roles": {{"Create", func(t *testing.T, x *histEnv) histRequest {
			body := map[string]any{"name": x.unique("Role"), "employeeType": "Employee", "permissions": []int64{access.PermViewHistory}}
			return histRequest{path: x.sp("/user-roles"), body: body, eventType: "UserRole.Created", recordType: "UserRole",
				check: wantValues(map[string]any{"name": body["name"], "employeeType": "Employee", "active": true,
					"permissions": []int64{access.PermViewHistory}, "builtIn": ""})}
		}}},
		"PATCH " + sb + "/user-roles/{id}": {{"Update", func(t *testing.T, x *histEnv) histRequest {
			id := x.create(t, x.sp("/user-roles"), map[string]any{"name": x.unique("Role"), "employeeType": "All"})
			name := x.unique("Role renamed")
			return histRequest{path: x.sp("/user-roles/%d", id), body: map[string]any{"name": name, "permissions": []int64{access.PermViewHistory}},
				eventType: "UserRole.Updated", recordType: "UserRole", recordID: id, changed: []string{"modifiedOn", "name", "permissions"},
				check: wantValues(map[string]any{"name": name, "permissions": []int64{access.PermViewHistory}})}
		}}},
		"DELETE " + sb + "/user-roles/{id}": {{"Delete", func(t *testing.T, x *histEnv) histRequest {
			name := x.unique("Role")
			id := x.create(t, x.sp("/user-roles"), map[string]any{"name": name, "employeeType": "All"})
			return histRequest{path: x.sp("/user-roles/%d", id), eventType: "UserRole.Deleted", recordType: "UserRole", recordID: id,
				check: func(t *testing.T, before, _ map[string]any) { wantField(t, before, "before", "name", name) }}
		}}},

		"POST " + sb + "/business-units": {{"Create", func(t *testing.T, x *histEnv) histRequest {
			body := map[string]any{"name": x.unique("Unit"), "officialName": "Acme North LLC", "currency": "USD",
				"address": map[string]any{"street": "1 Main St", "city": "Springfield", "zip": "12345"}}
			return histRequest{path: x.sp("/business-units"), body: body, eventType: "BusinessUnit.Created", recordType: "BusinessUnit",
				check: wantValues(map[string]any{"name": body["name"], "officialName": "Acme North LLC", "currency": "USD", "active": true,
					"address": map[string]any{"street": "1 Main St", "unit": "", "city": "Springfield", "state": "", "zip": "12345",
						"country": "", "latitude": nil, "longitude": nil}})}
		}}},
		"PATCH " + sb + "/business-units/{id}": {{"Update", func(t *testing.T, x *histEnv) histRequest {
			id := x.create(t, x.sp("/business-units"), map[string]any{"name": x.unique("Unit")})
			name := x.unique("Unit renamed")
			return histRequest{path: x.sp("/business-units/%d", id), body: map[string]any{"name": name, "email": "north@example.com"},
				eventType: "BusinessUnit.Updated", recordType: "BusinessUnit", recordID: id, changed: []string{"email", "modifiedOn", "name"},
				check: wantValues(map[string]any{"name": name, "email": "north@example.com"})}
		}}},
		"DELETE " + sb + "/business-units/{id}": {{"Delete", func(t *testing.T, x *histEnv) histRequest {
			name := x.unique("Unit")
			id := x.create(t, x.sp("/business-units"), map[string]any{"name": name})
			return histRequest{path: x.sp("/business-units/%d", id), eventType: "BusinessUnit.Deleted", recordType: "BusinessUnit", recordID: id,
				check: func(t *testing.T, before, _ map[string]any) { wantField(t, before, "before", "name", name) }}
		}}},

		"POST " + sb + "/tag-types": {{"Create", func(t *testing.T, x *histEnv) histRequest {
			body := map[string]any{"name": x.unique("Tag"), "color": "#1A2B3C", "code": "HT", "importance": "High"}
			return histRequest{path: x.sp("/tag-types"), body: body, eventType: "TagType.Created", recordType: "TagType",
				check: wantValues(map[string]any{"name": body["name"], "color": "#1A2B3C", "code": "HT", "importance": "High", "active": true})}
		}}},
		"PATCH " + sb + "/tag-types/{id}": {{"Update", func(t *testing.T, x *histEnv) histRequest {
			id := x.create(t, x.sp("/tag-types"), map[string]any{"name": x.unique("Tag")})
			return histRequest{path: x.sp("/tag-types/%d", id), body: map[string]any{"active": false, "color": "#FFFFFF"},
				eventType: "TagType.Updated", recordType: "TagType", recordID: id, changed: []string{"active", "color", "modifiedOn"},
				check: func(t *testing.T, before, after map[string]any) {
					wantField(t, before, "before", "color", "#808080")
					wantField(t, after, "after", "color", "#FFFFFF")
					wantField(t, after, "after", "active", false)
				}}
		}}},

		"POST " + sb + "/custom-field-types": {{"Create", func(t *testing.T, x *histEnv) histRequest {
			body := map[string]any{"name": x.unique("Field"), "appliesTo": "Technician", "dataType": "Date"}
			return histRequest{path: x.sp("/custom-field-types"), body: body, eventType: "CustomFieldType.Created", recordType: "CustomFieldType",
				check: wantValues(map[string]any{"name": body["name"], "appliesTo": "Technician", "dataType": "Date", "active": true})}
		}}},
		"PATCH " + sb + "/custom-field-types/{id}": {{"Update", func(t *testing.T, x *histEnv) histRequest {
			id := x.create(t, x.sp("/custom-field-types"), map[string]any{"name": x.unique("Field"), "appliesTo": "Employee"})
			name := x.unique("Field renamed")
			return histRequest{path: x.sp("/custom-field-types/%d", id), body: map[string]any{"name": name},
				eventType: "CustomFieldType.Updated", recordType: "CustomFieldType", recordID: id, changed: []string{"modifiedOn", "name"}}
		}}},

		"POST " + db + "/teams": {{"Create", func(t *testing.T, x *histEnv) histRequest {
			name := x.unique("Team")
			return histRequest{path: x.dp("/teams"), body: map[string]any{"name": name, "active": true}, eventType: "Team.Created", recordType: "Team",
				check: wantValues(map[string]any{"name": name, "active": true, "createdBy": x.env.App.AppID})}
		}}},
		"DELETE " + db + "/teams/{id}": {{"Delete", func(t *testing.T, x *histEnv) histRequest {
			name := x.unique("Team")
			id := x.create(t, x.dp("/teams"), map[string]any{"name": name, "active": true})
			return histRequest{path: x.dp("/teams/%d", id), eventType: "Team.Deleted", recordType: "Team", recordID: id,
				check: func(t *testing.T, before, _ map[string]any) { wantField(t, before, "before", "name", name) }}
		}}},

		"POST " + sb + "/webhooks": {{"Create", func(t *testing.T, x *histEnv) histRequest {
			body := map[string]any{"url": "https://203.0.113.9/hooks/" + strings.ReplaceAll(x.unique("h"), " ", "-"), "events": []string{"Technician.*", "Employee.Created"}}
			return histRequest{path: x.sp("/webhooks"), body: body, eventType: "Webhook.Created", recordType: "Webhook",
				check: func(t *testing.T, _, after map[string]any) {
					wantValues(map[string]any{"url": body["url"], "events": []string{"Employee.Created", "Technician.*"}, "active": true})(t, nil, after)
					if _, ok := after["secret"]; ok {
						t.Errorf("the subscription's history holds its secret: %v", after)
					}
				}}
		}}},
		"PATCH " + sb + "/webhooks/{id}": {
			{"Events", func(t *testing.T, x *histEnv) histRequest {
				id := x.create(t, x.sp("/webhooks"), map[string]any{"url": "https://203.0.113.9/hooks/" + strings.ReplaceAll(x.unique("h"), " ", "-"), "events": []string{"Zone.*"}})
				return histRequest{path: x.sp("/webhooks/%d", id), body: map[string]any{"events": []string{"*"}},
					eventType: "Webhook.Updated", recordType: "Webhook", recordID: id, changed: []string{"events", "modifiedOn"},
					check: wantValues(map[string]any{"events": []string{"*"}})}
			}},
			{"Deactivate", func(t *testing.T, x *histEnv) histRequest {
				id := x.create(t, x.sp("/webhooks"), map[string]any{"url": "https://203.0.113.9/hooks/" + strings.ReplaceAll(x.unique("h"), " ", "-"), "events": []string{"*"}})
				return histRequest{path: x.sp("/webhooks/%d", id), body: map[string]any{"active": false},
					eventType: "Webhook.Updated", recordType: "Webhook", recordID: id, changed: []string{"active", "modifiedOn"},
					check: wantValues(map[string]any{"active": false})}
			}},
		},
		"DELETE " + sb + "/webhooks/{id}": {{"Delete", func(t *testing.T, x *histEnv) histRequest {
			url := "https://203.0.113.9/hooks/" + strings.ReplaceAll(x.unique("h"), " ", "-")
			id := x.create(t, x.sp("/webhooks"), map[string]any{"url": url, "events": []string{"*"}})
			return histRequest{path: x.sp("/webhooks/%d", id), eventType: "Webhook.Deleted", recordType: "Webhook", recordID: id,
				check: func(t *testing.T, before, _ map[string]any) { wantField(t, before, "before", "url", url) }}
		}}},
		"POST " + sb + "/webhooks/{id}/redeliver": {{"Event", func(t *testing.T, x *histEnv) histRequest {
			id := x.create(t, x.sp("/webhooks"), map[string]any{"url": "https://203.0.113.9/hooks/" + strings.ReplaceAll(x.unique("h"), " ", "-"), "events": []string{"*"}})
			created := x.list(t, fmt.Sprintf("recordType=Webhook&recordId=%d", id))
			if len(created.Data) != 1 {
				t.Fatalf("history of the new subscription: %d events", len(created.Data))
			}
			return histRequest{path: x.sp("/webhooks/%d/redeliver", id), body: map[string]any{"eventId": created.Data[0].ID},
				eventType: "Webhook.RedeliveryQueued", recordType: "Webhook", recordID: id,
				check: func(t *testing.T, before, after map[string]any) {
					if before != nil {
						t.Errorf("a redelivery has a before document: %v", before)
					}
					wantValues(map[string]any{"eventId": created.Data[0].ID, "queued": 1})(t, nil, after)
				}}
		}}},

		"PUT " + sb + "/sso": {
			{"Create", func(t *testing.T, x *histEnv) histRequest {
				body := map[string]any{"issuerUrl": "https://login.example.com/acme/v2.0", "clientId": "acme-client",
					"clientSecret": "hist-sso-secret-1", "enabled": true}
				return histRequest{path: x.sp("/sso"), body: body, eventType: "SingleSignOn.Created", recordType: "SingleSignOn",
					recordID: x.tid, check: func(t *testing.T, _, after map[string]any) {
						wantValues(map[string]any{"issuerUrl": body["issuerUrl"], "clientId": "acme-client", "clientSecretSet": true,
							"clientSecretChanged": true, "enabled": true, "userIdClaim": "oid"})(t, nil, after)
						if raw, _ := json.Marshal(after); bytes.Contains(raw, []byte("hist-sso-secret-1")) {
							t.Errorf("the configuration's history holds its client secret: %s", raw)
						}
					}}
			}},
			{"Update", func(t *testing.T, x *histEnv) histRequest {
				x.ok(t, "PUT", x.sp("/sso"), map[string]any{"issuerUrl": "https://login.example.com/acme/v2.0",
					"clientId": "acme-client", "clientSecret": "hist-sso-secret-2", "enabled": true})
				return histRequest{path: x.sp("/sso"), body: map[string]any{"issuerUrl": "https://login.example.com/acme/v2.0",
					"clientId": "acme-client-2", "enabled": true, "requireForEmployees": true},
					eventType: "SingleSignOn.Updated", recordType: "SingleSignOn", recordID: x.tid,
					changed: []string{"clientId", "modifiedOn", "requireForEmployees"},
					check:   wantValues(map[string]any{"clientId": "acme-client-2", "clientSecretSet": true})}
			}},
		},

		"POST " + db + "/zones": {{"Create", func(t *testing.T, x *histEnv) histRequest {
			tech := x.newTechnician(t)
			body := map[string]any{"name": x.unique("Zone"), "zips": []string{"10001", "10002"}, "technicians": []int64{tech}}
			return histRequest{path: x.dp("/zones"), body: body, eventType: "Zone.Created", recordType: "Zone",
				check: wantValues(map[string]any{"name": body["name"], "zips": body["zips"], "technicians": []int64{tech}, "active": true})}
		}}},
		"PATCH " + db + "/zones/{id}": {{"Update", func(t *testing.T, x *histEnv) histRequest {
			id := x.create(t, x.dp("/zones"), map[string]any{"name": x.unique("Zone")})
			tech := x.newTechnician(t)
			return histRequest{path: x.dp("/zones/%d", id), body: map[string]any{"cities": []string{"Springfield"}, "technicians": []int64{tech}},
				eventType: "Zone.Updated", recordType: "Zone", recordID: id, changed: []string{"cities", "modifiedOn", "technicians"},
				check: wantValues(map[string]any{"cities": []string{"Springfield"}, "technicians": []int64{tech}})}
		}}},
		"DELETE " + db + "/zones/{id}": {{"Delete", func(t *testing.T, x *histEnv) histRequest {
			name := x.unique("Zone")
			id := x.create(t, x.dp("/zones"), map[string]any{"name": name})
			return histRequest{path: x.dp("/zones/%d", id), eventType: "Zone.Deleted", recordType: "Zone", recordID: id,
				check: func(t *testing.T, before, _ map[string]any) { wantField(t, before, "before", "name", name) }}
		}}},
	}
	for _, part := range []map[string][]histCase{people(crewid.KindEmployee, "employees"), people(crewid.KindTechnician, "technicians"), appHistRoutes()} {
		for k, v := range part {
			table[k] = v
		}
	}
	return table
}

// mutatingRoutes lists the routes that change something, in table order.
func mutatingRoutes() []settings.Route {
	var out []settings.Route
	for _, rt := range (&settings.Handler{}).Routes() {
		if rt.Method != http.MethodGet && rt.Method != http.MethodHead {
			out = append(out, rt)
		}
	}
	return out
}

func TestHistoryRouteTableIsComplete(t *testing.T) {
	table := histRoutes()
	seen := map[string]bool{}
	for _, rt := range mutatingRoutes() {
		key := rt.Method + " " + rt.Pattern
		seen[key] = true
		if len(table[key]) == 0 {
			t.Errorf("the mutating route %s has no case in histRoutes: add one that checks its history event", key)
		}
	}
	for key := range table {
		if !seen[key] {
			t.Errorf("histRoutes has a case for %s, which is not a mutating route", key)
		}
	}
}

func TestHistoryEveryMutatingRoute(t *testing.T) {
	t.Parallel()
	table := histRoutes()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		x := newHistEnv(t, b)
		_, mark := x.export(t, "", "")
		for _, rt := range mutatingRoutes() {
			key := rt.Method + " " + rt.Pattern
			for _, tc := range table[key] {
				t.Run(key+"/"+tc.name, func(t *testing.T) {
					req := tc.prepare(t, x)
					_, mark = x.export(t, mark, "") // past the preparation's events
					ua := fmt.Sprintf("%s (%s %s)", histUA, key, tc.name)
					status, raw := x.callAs(t, ua, rt.Method, req.path, req.body)
					if status != http.StatusOK {
						t.Fatalf("%s %s: status %d; body %s", rt.Method, req.path, status, raw)
					}
					var events []histEvent
					events, mark = x.export(t, mark, "")
					var wantTypes, gotTypes []string
					if req.eventType != "" {
						wantTypes = append([]string{req.eventType}, req.also...)
					}
					for _, e := range events {
						gotTypes = append(gotTypes, e.EventType)
						// A webhook may subscribe to every kind of event.
						if record, _, _ := strings.Cut(e.EventType, "."); !slices.Contains(webhooks.EventRecords, record) {
							t.Errorf("event type %q begins with %q, which webhooks.EventRecords lacks", e.EventType, record)
						}
					}
					if !slices.Equal(gotTypes, wantTypes) {
						t.Fatalf("events recorded: %q, want exactly %q", gotTypes, wantTypes)
					}
					if len(events) == 0 {
						return
					}
					e := events[0]
					recordID := req.recordID
					if recordID == 0 {
						var created struct {
							ID int64 `json:"id"`
						}
						_ = json.Unmarshal(raw, &created)
						recordID = created.ID
					}
					if e.RecordType != req.recordType || e.RecordID != recordID {
						t.Errorf("record %s %d, want %s %d", e.RecordType, e.RecordID, req.recordType, recordID)
					}
					if e.Actor.Type != "Application" || e.Actor.ID == nil || *e.Actor.ID != x.env.App.AppID || e.Actor.Name != "test integration" {
						t.Errorf("actor %+v (id %v), want the application %d \"test integration\"", e.Actor, e.Actor.ID, x.env.App.AppID)
					}
					if e.IP == nil || *e.IP != "127.0.0.1" {
						t.Errorf("ip %v, want 127.0.0.1", e.IP)
					}
					if e.UserAgent == nil || *e.UserAgent != ua {
						t.Errorf("userAgent %v, want %q", e.UserAgent, ua)
					}
					if time.Since(e.OccurredOn) > time.Minute || e.OccurredOn.Location() != time.UTC {
						t.Errorf("occurredOn %v, want just now in UTC", e.OccurredOn)
					}
					before, after := histDoc(t, "before", e.Before), histDoc(t, "after", e.After)
					var snapshots []map[string]any // documents that are the record itself
					switch {
					case strings.HasSuffix(e.EventType, ".Created"):
						if before != nil || after == nil {
							t.Errorf("a creation has before %s and after %s; want null and the record", e.Before, e.After)
						}
						snapshots = []map[string]any{after}
					case strings.HasSuffix(e.EventType, ".Deleted"):
						if before == nil || after != nil {
							t.Errorf("a deletion has before %s and after %s; want the record and null", e.Before, e.After)
						}
						snapshots = []map[string]any{before}
					case req.changed != nil:
						if before == nil || after == nil {
							t.Fatalf("a change has before %s and after %s; want both", e.Before, e.After)
						}
						snapshots = []map[string]any{before, after}
					}
					for _, doc := range snapshots {
						wantField(t, doc, "document", "id", recordID)
					}
					if req.changed != nil {
						if got := changedKeys(before, after); !slices.Equal(got, req.changed) {
							t.Errorf("fields changed %q, want %q\nbefore %s\nafter  %s", got, req.changed, e.Before, e.After)
						}
					}
					if req.check != nil {
						req.check(t, before, after)
					}
					if body, ok := req.body.(map[string]any); ok && body["password"] != nil {
						for _, ev := range events {
							if bytes.Contains(ev.Before, []byte(body["password"].(string))) || bytes.Contains(ev.After, []byte(body["password"].(string))) {
								t.Errorf("event %d holds the password", ev.ID)
							}
						}
					}
				})
			}
		}
		// The whole history still verifies.
		report, err := history.Verify(context.Background(), x.env.Store, x.tid)
		if err != nil || !report.OK() {
			t.Errorf("history.Verify: %v %v", err, report.Break)
		}
	})
}

// TestHistoryNoSecrets looks through the whole history after changes that
// handle secrets: passwords, password hashes, client secrets, invitation
// tokens and signing keys never appear.
func TestHistoryNoSecrets(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		x := newHistEnv(t, b)
		const password = "Hist-Secret-Pass-0042"
		for _, plural := range []string{"employees", "technicians"} {
			body := map[string]any{"name": x.unique("Secret keeper"), "email": x.email(), "positions": []string{}, "accountCreationMethod": "AssignLoginAndPassword",
				"login": strings.ReplaceAll(x.unique("secret.keeper"), " ", ""), "password": password}
			if plural == "employees" {
				body["roleIds"] = []int64{x.role(access.KeyOfficeStaff)}
			} else {
				body["roleIds"], body["licenseType"], body["phoneNumber"] = []int64{x.role(access.KeyTechnician)}, "ManagedTech", x.mobile()
			}
			id := x.create(t, x.sp("/%s", plural), body)
			x.ok(t, "PATCH", x.sp("/%s/%d", plural, id), map[string]any{"name": x.unique("Renamed keeper")})
			x.ok(t, "POST", x.sp("/%s/%d/account-actions", plural, id), map[string]any{"action": "Deactivate"})
			x.create(t, x.sp("/%s", plural), map[string]any{"name": x.unique("Invitee"), "email": x.email(),
				"roleIds": body["roleIds"], "licenseType": "ManagedTech", "positions": []string{}, "accountCreationMethod": "SendInvite"})
		}
		ctx := context.Background()
		app, err := x.env.Store.App(ctx, x.tid, x.env.App.AppID)
		if err != nil {
			t.Fatal(err)
		}
		forbidden := []string{password, x.env.App.ClientSecret, "passwordHash", "$argon2", "privateKey", "PRIVATE KEY"}
		for _, s := range app.Secrets {
			forbidden = append(forbidden, fmt.Sprintf("%x", s.Hash))
		}
		people, err := x.env.Store.People(ctx, x.tid, store.PersonQuery{ListQuery: store.ListQuery{Active: store.ActiveAny, PageSize: 100}})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range people.Items {
			if p.Account.PasswordHash != "" {
				forbidden = append(forbidden, p.Account.PasswordHash)
			}
		}
		// Invitation tokens are only in the messages.
		messages, err := x.env.Store.Messages(ctx, x.tid, store.MessageQuery{Limit: 500})
		if err != nil {
			t.Fatal(err)
		}
		tokens := 0
		for _, m := range messages {
			if _, rest, ok := strings.Cut(m.Body, "token="); ok {
				token := strings.FieldsFunc(rest, func(r rune) bool { return r == ' ' || r == '\n' || r == '"' || r == '<' || r == '&' })[0]
				forbidden = append(forbidden, token)
				tokens++
			}
		}
		if tokens < 2 {
			t.Errorf("found %d invitation tokens in the outbox, want 2", tokens)
		}
		events, _ := x.export(t, "", "")
		all, err := x.env.Store.Events(ctx, x.tid, store.EventQuery{Limit: 5000})
		if err != nil {
			t.Fatal(err)
		}
		if len(events) != len(all) || len(events) < 8 {
			t.Errorf("export has %d events, the store %d", len(events), len(all))
		}
		for _, e := range events {
			doc, _ := json.Marshal(e)
			for _, f := range forbidden {
				if f != "" && bytes.Contains(doc, []byte(f)) {
					t.Errorf("event %d (%s) holds a secret (%.12s…): %s", e.ID, e.EventType, f, doc)
				}
			}
		}
	})
}

func TestHistoryListAndFilters(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		x := newHistEnv(t, b)
		emp := x.newEmployee(t)
		tech := x.newTechnician(t)
		x.ok(t, "PATCH", x.sp("/employees/%d", emp), map[string]any{"name": "Renamed Once"})
		x.ok(t, "PATCH", x.sp("/employees/%d", emp), map[string]any{"name": "Renamed Twice"})
		unit := x.create(t, x.sp("/business-units"), map[string]any{"name": "North"})
		all, _ := x.export(t, "", "")
		if len(all) < 6 {
			t.Fatalf("history has %d events", len(all))
		}

		// The wire shape: exactly these fields.
		var rawPage struct {
			Data []map[string]json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(x.ok(t, "GET", x.sp("/history?pageSize=1"), nil), &rawPage); err != nil || len(rawPage.Data) != 1 {
			t.Fatalf("history: %v", err)
		}
		var keys []string
		for k := range rawPage.Data[0] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if want := []string{"actor", "after", "before", "eventType", "id", "ip", "occurredOn", "recordId", "recordType", "userAgent"}; !slices.Equal(keys, want) {
			t.Errorf("event fields %q, want %q", keys, want)
		}

		// Newest first, paged.
		page := x.list(t, "page=1&pageSize=2&includeTotal=true")
		if page.TotalCount == nil || *page.TotalCount != len(all) || !page.HasMore || page.Page != 1 || page.PageSize != 2 || len(page.Data) != 2 {
			t.Errorf("page 1: %+v, want 2 of %d with more", page, len(all))
		} else if page.Data[0].ID != all[len(all)-1].ID || page.Data[1].ID != all[len(all)-2].ID {
			t.Errorf("page 1 is not newest first")
		}
		if page := x.list(t, "page=2&pageSize=2"); page.TotalCount != nil {
			t.Errorf("totalCount without includeTotal: %v", *page.TotalCount)
		}
		if page := x.list(t, "sort=%2BId&pageSize=1"); len(page.Data) != 1 || page.Data[0].ID != all[0].ID {
			t.Errorf("sort=+Id does not list oldest first")
		}
		var walked []int64
		for p := 1; ; p++ {
			page := x.list(t, fmt.Sprintf("page=%d&pageSize=4&sort=%%2BId", p))
			for _, e := range page.Data {
				walked = append(walked, e.ID)
			}
			if !page.HasMore {
				break
			}
		}
		var allIDs []int64
		for _, e := range all {
			allIDs = append(allIDs, e.ID)
		}
		if !slices.Equal(walked, allIDs) {
			t.Errorf("paging oldest first saw %v, want %v", walked, allIDs)
		}

		tenantCreated := all[0]
		for _, tc := range []struct {
			query string
			keep  func(e histEvent) bool
		}{
			{"recordType=Employee", func(e histEvent) bool { return e.RecordType == "Employee" }},
			{fmt.Sprintf("recordType=Employee&recordId=%d", emp), func(e histEvent) bool { return e.RecordType == "Employee" && e.RecordID == emp }},
			{fmt.Sprintf("recordId=%d", tech), func(e histEvent) bool { return e.RecordID == tech }},
			{"eventType=Employee.Updated", func(e histEvent) bool { return e.EventType == "Employee.Updated" }},
			{fmt.Sprintf("actorId=%d", x.env.App.AppID), func(e histEvent) bool { return e.Actor.ID != nil && *e.Actor.ID == x.env.App.AppID }},
			{"actorType=Application", func(e histEvent) bool { return e.Actor.Type == "Application" }},
			{"actorType=operator", func(e histEvent) bool { return e.Actor.Type == "Operator" }},
			{fmt.Sprintf("recordType=BusinessUnit&recordId=%d", unit), func(e histEvent) bool { return e.RecordType == "BusinessUnit" && e.RecordID == unit }},
			{"occurredOnOrAfter=" + url.QueryEscape(all[3].OccurredOn.Format(time.RFC3339Nano)), func(e histEvent) bool { return !e.OccurredOn.Before(all[3].OccurredOn) }},
			{"occurredBefore=" + url.QueryEscape(all[3].OccurredOn.Format(time.RFC3339Nano)), func(e histEvent) bool { return e.OccurredOn.Before(all[3].OccurredOn) }},
			{"occurredBefore=2000-01-01", func(histEvent) bool { return false }},
		} {
			var want []int64
			for _, e := range all {
				if tc.keep(e) {
					want = append(want, e.ID)
				}
			}
			page := x.list(t, tc.query+"&pageSize=500&includeTotal=true&sort=%2BId")
			var got []int64
			for _, e := range page.Data {
				got = append(got, e.ID)
			}
			if !slices.Equal(got, want) || page.TotalCount == nil || *page.TotalCount != len(want) {
				t.Errorf("history?%s: %v (total %v), want %v", tc.query, got, page.TotalCount, want)
			}
			exported, _ := x.export(t, "", "&"+tc.query)
			got = got[:0]
			for _, e := range exported {
				got = append(got, e.ID)
			}
			if !slices.Equal(got, want) {
				t.Errorf("export/history?%s: %v, want %v", tc.query, got, want)
			}
		}
		if tenantCreated.EventType != "Tenant.Created" || tenantCreated.Actor.Type != "Operator" || tenantCreated.Actor.ID != nil || tenantCreated.IP != nil {
			t.Errorf("the tenant's first event: %+v", tenantCreated)
		}

		for _, bad := range []string{"actorType=Robot", "recordId=abc", "actorId=-3", "occurredBefore=yesterday", "page=0", "pageSize=5001", "sort=Name", "includeTotal=maybe"} {
			if status, raw := x.call(t, "GET", x.sp("/history?%s", bad), nil); status != http.StatusBadRequest {
				t.Errorf("history?%s: status %d, want 400; %s", bad, status, raw)
			}
		}
		for _, bad := range []string{"from=not-a-token", "actorType=Robot"} {
			if status, raw := x.call(t, "GET", x.sp("/export/history?%s", bad), nil); status != http.StatusBadRequest {
				t.Errorf("export/history?%s: status %d, want 400; %s", bad, status, raw)
			}
		}
	})
}

func TestHistoryTenantIsolationAndScope(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		x := newHistEnv(t, b)
		x.newEmployee(t)
		other, _, otherApp := x.env.NewTenant(t, "Other Heating")
		y := &histEnv{env: x.env, tid: other.ID, token: x.env.Token(t, otherApp)}
		y.env = x.env
		// y calls with the other tenant's credentials.
		otherAuth := func(method, path string) (int, []byte) {
			return x.env.Do(t, func(_ context.Context, req *http.Request) error {
				req.Header.Set("Authorization", "Bearer "+y.token)
				req.Header.Set("ST-App-Key", otherApp.AppKey)
				return nil
			}, method, path, nil)
		}
		for _, path := range []string{x.sp("/history"), x.sp("/export/history")} {
			if status, _ := otherAuth("GET", path); status != http.StatusNotFound {
				t.Errorf("GET %s with another tenant's token: %d, want 404", path, status)
			}
		}
		for _, path := range []string{y.sp("/history"), y.sp("/export/history")} {
			if status, _ := x.call(t, "GET", path, nil); status != http.StatusNotFound {
				t.Errorf("GET %s with the first tenant's token: %d, want 404", path, status)
			}
		}
		status, raw := otherAuth("GET", y.sp("/history?pageSize=500"))
		var page histPage
		if status != http.StatusOK || json.Unmarshal(raw, &page) != nil {
			t.Fatalf("other tenant's history: %d %s", status, raw)
		}
		mine, _ := x.export(t, "", "")
		for _, e := range page.Data {
			for _, m := range mine {
				if e.ID == m.ID {
					t.Errorf("the other tenant sees event %d", e.ID)
				}
			}
		}
		if len(page.Data) == 0 {
			t.Errorf("the other tenant sees no history of its own")
		}

		// An application without the history scope may not read it.
		ctx := context.Background()
		operator := crewid.Actor{Type: crewid.ActorOperator, Name: "test"}
		narrow, secret, err := x.env.Server.Apps.Create(ctx, operator, x.tid, "no history", []string{"people.read"})
		if err != nil {
			t.Fatal(err)
		}
		creds := servertest.Credentials{AppID: narrow.ID, AppKey: narrow.AppKey, ClientID: narrow.ClientID, ClientSecret: secret}
		for _, path := range []string{x.sp("/history"), x.sp("/export/history")} {
			if status, _ := x.env.Do(t, x.env.Authorize(t, creds), "GET", path, nil); status != http.StatusForbidden {
				t.Errorf("GET %s without the history scope: %d, want 403", path, status)
			}
		}
	})
}

// TestHistoryExportResumes pages through an export of more than one page
// while changes go on, and checks that no event is skipped or repeated.
func TestHistoryExportResumes(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		x := newHistEnv(t, b)
		histSeed(t, x.env.Store, x.tid, 2500)
		want, err := histAllIDs(x.env.Store, x.tid)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		from := ""
		pages := 0
		for {
			var page histExport
			if err := json.Unmarshal(x.ok(t, "GET", x.sp("/export/history?from=%s", url.QueryEscape(from)), nil), &page); err != nil {
				t.Fatal(err)
			}
			pages++
			for _, e := range page.Data {
				got = append(got, e.ID)
			}
			if pages == 1 {
				// Changes made while the export runs come at its end.
				id := x.newEmployee(t)
				x.ok(t, "PATCH", x.sp("/employees/%d", id), map[string]any{"name": "During the export"})
				if want, err = histAllIDs(x.env.Store, x.tid); err != nil {
					t.Fatal(err)
				}
			}
			from = page.ContinueFrom
			if !page.HasMore {
				break
			}
		}
		if pages < 3 {
			t.Errorf("the export took %d pages, want at least 3", pages)
		}
		if !slices.Equal(got, want) {
			t.Errorf("export saw %d events, want %d, in order, each once", len(got), len(want))
		}
		// At the end, the token resumes with nothing, then with what comes.
		if events, _ := x.export(t, from, ""); len(events) != 0 {
			t.Errorf("resuming at the end gave %d events", len(events))
		}
		x.newEmployee(t)
		if events, _ := x.export(t, from, ""); len(events) != 1 || events[0].EventType != "Employee.Created" {
			t.Errorf("resuming after a change gave %d events", len(events))
		}
		// from=DATE starts at that time.
		cut := time.Now().UTC().Add(-time.Second)
		x.newEmployee(t)
		if events, _ := x.export(t, cut.Format(time.RFC3339Nano), ""); len(events) == 0 || events[0].OccurredOn.Before(cut) {
			t.Errorf("from=%s gave %d events", cut.Format(time.RFC3339Nano), len(events))
		}
	})
}

// histSeed appends n events to the tenant through the store, 500 a
// transaction, as history.Record would.
func histSeed(t testing.TB, st store.Store, tenantID int64, n int) {
	t.Helper()
	ctx := context.Background()
	actor := crewid.Actor{Type: crewid.ActorApplication, ID: 1, Name: "Seeder", IP: "192.0.2.1", UserAgent: "seed/1"}
	now := time.Now().UTC()
	for done := 0; done < n; {
		err := st.Update(ctx, func(tx store.Tx) error {
			for i := 0; i < 500 && done+i < n; i++ {
				k := done + i
				before := histTechnician(tenantID, k)
				after := histTechnician(tenantID, k+1)
				if err := history.Record(ctx, tx, now, actor, history.Change{TenantID: tenantID, Type: "Technician.Updated",
					RecordType: "Technician", RecordID: int64(1000 + k%50), Before: before, After: after}); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("seed history: %v", err)
		}
		done = min(n, done+500)
	}
}

// histTechnician is the k-th version of a technician record.
func histTechnician(tenantID int64, k int) crewid.Person {
	return crewid.Person{ID: int64(1000 + k%50), TenantID: tenantID, Kind: crewid.KindTechnician,
		Name: fmt.Sprintf("Technician v%d", k), MobilePhone: fmt.Sprintf("+1555%07d", k), Active: true,
		RoleIDs: []int64{3}, Skills: []string{"HVAC", "Plumbing"}, LicenseType: crewid.LicenseManagedTech,
		MobileAccessEnabled: true, Account: crewid.Account{State: crewid.AccountNone}}
}

func histAllIDs(st store.Reader, tenantID int64) ([]int64, error) {
	var out []int64
	var after int64
	for {
		events, err := st.Events(context.Background(), tenantID, store.EventQuery{AfterID: after, Limit: 5000})
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			out = append(out, e.ID)
		}
		if len(events) < 5000 {
			return out, nil
		}
		after = events[len(events)-1].ID
	}
}

// TestHistoryConcurrentWriters changes records from many clients at once;
// the chain stays linear.
func TestHistoryConcurrentWriters(t *testing.T) {
	t.Parallel()
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		t.Parallel()
		x := newHistEnv(t, b)
		var ids []int64
		for range 6 {
			ids = append(ids, x.newEmployee(t))
		}
		var wg sync.WaitGroup
		for w, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range 8 {
					status, raw := x.call(t, "PATCH", x.sp("/employees/%d", id), map[string]any{"name": fmt.Sprintf("Writer %d change %d", w, i)})
					if status != http.StatusOK {
						t.Errorf("PATCH: %d %s", status, raw)
						return
					}
					x.call(t, "POST", x.sp("/business-units"), map[string]any{"name": fmt.Sprintf("Unit %d-%d", w, i)})
				}
			}()
		}
		wg.Wait()
		report, err := history.Verify(context.Background(), x.env.Store, x.tid)
		if err != nil || !report.OK() {
			t.Fatalf("history.Verify after concurrent writers: %v %v", err, report.Break)
		}
		all, err := histAllIDs(x.env.Store, x.tid)
		if err != nil {
			t.Fatal(err)
		}
		if report.Events != len(all) {
			t.Errorf("verified %d of %d events", report.Events, len(all))
		}
	})
}
