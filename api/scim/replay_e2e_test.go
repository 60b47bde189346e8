package scim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"crewid/server/servertest"
)

// sequence is a recorded provisioning conversation: requests a directory
// sends and what the answers must hold.
type sequence struct {
	About string `json:"about"`
	Steps []step `json:"steps"`
}

type step struct {
	Name   string          `json:"name"`
	Method string          `json:"method"`
	Path   string          `json:"path"`
	Body   json.RawMessage `json:"body"`
	Status int             `json:"status"`
	// Save names values of the answer (a dotted path) for later steps,
	// which refer to them as ${name}.
	Save map[string]string `json:"save"`
	// Expect is a part of the answer: every key given must be there with
	// that value; arrays hold at least the elements given (none: empty).
	Expect json.RawMessage `json:"expect"`
	// Absent lists top-level attributes the answer must not have.
	Absent []string `json:"absent"`
	// AbsentValues maps a multi-valued attribute to a value none of its
	// elements may have.
	AbsentValues map[string]string `json:"absentValues"`
}

// scimClient calls /scim/v2 as a directory does: a bearer token only.
type scimClient struct {
	t     testing.TB
	base  string
	token string
}

func (c scimClient) do(method, path string, body []byte) (int, http.Header, []byte) {
	c.t.Helper()
	var reader io.Reader
	if len(body) > 0 {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+"/scim/v2"+path, reader)
	if err != nil {
		c.t.Fatalf("request: %v", err)
	}
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/scim+json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return resp.StatusCode, resp.Header, raw
}

func TestReplayDirectorySequences(t *testing.T) {
	files, err := filepath.Glob("testdata/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no sequences in testdata: %v", err)
	}
	servertest.ForEachBackend(t, func(t *testing.T, b servertest.Backend) {
		env := servertest.Start(t, b.Open(t))
		client := scimClient{t: t, base: env.URL, token: env.Token(t, env.App)}
		for _, file := range files {
			t.Run(strings.TrimSuffix(filepath.Base(file), ".json"), func(t *testing.T) {
				raw, err := os.ReadFile(file)
				if err != nil {
					t.Fatal(err)
				}
				var seq sequence
				if err := json.Unmarshal(raw, &seq); err != nil {
					t.Fatalf("%s: %v", file, err)
				}
				client.t = t
				replay(t, client, seq)
			})
		}
	})
}

func replay(t *testing.T, c scimClient, seq sequence) {
	vars := map[string]string{}
	subst := func(s string) string {
		for name, v := range vars {
			s = strings.ReplaceAll(s, "${"+name+"}", v)
		}
		return s
	}
	for i, st := range seq.Steps {
		label := fmt.Sprintf("step %d (%s)", i+1, st.Name)
		status, header, body := c.do(st.Method, subst(st.Path), []byte(subst(string(st.Body))))
		if status != st.Status {
			t.Fatalf("%s: status %d, want %d: %s", label, status, st.Status, body)
		}
		if status == http.StatusNoContent {
			continue
		}
		if ct := header.Get("Content-Type"); ct != "application/scim+json" {
			t.Fatalf("%s: Content-Type %q", label, ct)
		}
		var got map[string]any
		if err := json.Unmarshal(body, &got); err != nil {
			t.Fatalf("%s: answer is not a JSON object: %s", label, body)
		}
		for name, path := range st.Save {
			v, ok := lookup(got, path).(string)
			if !ok || v == "" {
				t.Fatalf("%s: no %q to save in %s", label, path, body)
			}
			vars[name] = v
		}
		if len(st.Expect) > 0 {
			var want any
			if err := json.Unmarshal([]byte(subst(string(st.Expect))), &want); err != nil {
				t.Fatalf("%s: bad expect: %v", label, err)
			}
			if problem := contains(got, want, ""); problem != "" {
				t.Fatalf("%s: %s\nanswer: %s", label, problem, body)
			}
		}
		for _, key := range st.Absent {
			if _, ok := got[key]; ok {
				t.Fatalf("%s: %q should be absent: %s", label, key, body)
			}
		}
		for key, value := range st.AbsentValues {
			list, _ := got[key].([]any)
			for _, el := range list {
				if obj, ok := el.(map[string]any); ok && obj["value"] == subst(value) {
					t.Fatalf("%s: %s still holds %s: %s", label, key, subst(value), body)
				}
			}
		}
		if st.Method != "DELETE" && status < 300 && got["meta"] != nil && header.Get("ETag") == "" {
			t.Fatalf("%s: a resource answer without ETag", label)
		}
	}
}

// lookup follows a dotted path through objects.
func lookup(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = obj[part]
	}
	return v
}

// contains reports how got fails to hold want ("" when it holds).
func contains(got, want any, at string) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: want an object, got %v", at, got)
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok {
				return fmt.Sprintf("%s.%s: missing", at, k)
			}
			if p := contains(gv, wv, at+"."+k); p != "" {
				return p
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok {
			return fmt.Sprintf("%s: want an array, got %v", at, got)
		}
		if len(w) == 0 && len(g) != 0 {
			return fmt.Sprintf("%s: want an empty array, got %v", at, g)
		}
		for i, wv := range w {
			found := false
			for _, gv := range g {
				if contains(gv, wv, "") == "" {
					found = true
					break
				}
			}
			if !found {
				return fmt.Sprintf("%s[%d]: no element holds %v (got %v)", at, i, wv, g)
			}
		}
		return ""
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		return fmt.Sprintf("%s: got %v, want %v", at, got, want)
	}
	return ""
}
