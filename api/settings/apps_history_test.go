package settings_test

import (
	"encoding/json"
	"strings"
	"testing"
)

// appHistRoutes are the histRoutes cases of the apps resource. No event
// may hold a client secret (the check of every case looks at the whole
// document for the secret the request handled).
func appHistRoutes() map[string][]histCase {
	const sb = "/settings/v2/tenant/{tenant}"
	newApp := func(t *testing.T, x *histEnv) (int64, string) {
		var out struct {
			ID           int64  `json:"id"`
			ClientSecret string `json:"clientSecret"`
		}
		raw := x.ok(t, "POST", x.sp("/apps"), map[string]any{"name": x.unique("App"), "scopes": []string{"people.read"}})
		if err := json.Unmarshal(raw, &out); err != nil || out.ID == 0 || out.ClientSecret == "" {
			t.Fatalf("create app: %s", raw)
		}
		return out.ID, out.ClientSecret
	}
	noSecret := func(secret string) func(t *testing.T, before, after map[string]any) {
		return func(t *testing.T, before, after map[string]any) {
			t.Helper()
			doc, _ := json.Marshal([]any{before, after})
			if secret != "" && strings.Contains(string(doc), secret) {
				t.Errorf("the event holds the client secret: %s", doc)
			}
		}
	}
	return map[string][]histCase{
		"POST " + sb + "/apps": {{"Create", func(t *testing.T, x *histEnv) histRequest {
			name := x.unique("App")
			return histRequest{path: x.sp("/apps"), body: map[string]any{"name": name, "scopes": []string{"history", "people.read"}},
				eventType: "App.Created", recordType: "App",
				check: wantValues(map[string]any{"name": name, "scopes": []string{"people.read", "history"}, "active": true})}
		}}},
		"PATCH " + sb + "/apps/{id}": {{"Revoke", func(t *testing.T, x *histEnv) histRequest {
			id, secret := newApp(t, x)
			return histRequest{path: x.sp("/apps/%d", id), body: map[string]any{"active": false},
				eventType: "App.Updated", recordType: "App", recordID: id, changed: []string{"active", "modifiedOn"}, check: noSecret(secret)}
		}}},
		"POST " + sb + "/apps/{id}/secrets": {{"Add", func(t *testing.T, x *histEnv) histRequest {
			id, secret := newApp(t, x)
			return histRequest{path: x.sp("/apps/%d/secrets", id), eventType: "App.SecretAdded", recordType: "App", recordID: id,
				check: func(t *testing.T, before, after map[string]any) {
					noSecret(secret)(t, before, after)
					if before != nil || after["secretId"] == nil {
						t.Errorf("secret added: before %v, after %v", before, after)
					}
				}}
		}}},
		"DELETE " + sb + "/apps/{id}/secrets/{secretId}": {{"Delete", func(t *testing.T, x *histEnv) histRequest {
			id, secret := newApp(t, x)
			var app struct {
				Secrets []struct {
					ID int64 `json:"id"`
				} `json:"secrets"`
			}
			if err := json.Unmarshal(x.ok(t, "GET", x.sp("/apps/%d", id), nil), &app); err != nil || len(app.Secrets) != 1 {
				t.Fatalf("app secrets: %v", err)
			}
			sid := app.Secrets[0].ID
			return histRequest{path: x.sp("/apps/%d/secrets/%d", id, sid), eventType: "App.SecretDeleted", recordType: "App", recordID: id,
				check: func(t *testing.T, before, after map[string]any) {
					noSecret(secret)(t, before, after)
					wantField(t, before, "before", "secretId", sid)
					if after != nil {
						t.Errorf("secret deleted: after %v", after)
					}
				}}
		}}},
	}
}
