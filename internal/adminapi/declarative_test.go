package adminapi

import (
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// TestExportAndApplyEndpoints: export needs admin:read and its hashes
// admin:write, apply needs admin:write; the apply answer holds the plan and,
// once applied, the generated secret; a bad body or parameter is a 400
// that writes nothing.
func TestExportAndApplyEndpoints(t *testing.T) {
	f := newFixture(t)
	f.must(t, 201, "POST", "/admin/v1/accounts", writeToken, `{"name":"Acme"}`)

	rec := f.must(t, 200, "GET", "/admin/v1/export", readToken, "")
	var doc wire.Document
	decode(t, rec, &doc)
	if doc.Version != 1 || len(doc.Environments) != 2 || len(doc.Accounts) != 1 {
		t.Fatalf("export = %s", rec.Body)
	}
	checkError(t, f.do(t, "GET", "/admin/v1/export?include_hashes=true", readToken, ""), 403, "forbidden")
	f.must(t, 200, "GET", "/admin/v1/export?include_hashes=true", writeToken, "")
	checkError(t, f.do(t, "GET", "/admin/v1/export?env=nowhere", readToken, ""), 404, "not_found")
	checkError(t, f.do(t, "GET", "/admin/v1/export?account=x", readToken, ""), 400, "invalid")
	checkError(t, f.do(t, "GET", "/admin/v1/export?env=admin", readToken, ""), 400, "invalid")

	file := `{"version":1,"clients":[{"id":"Abcdefghij0123456789","environment":"sandbox","account":1,"name":"gen","scopes":["a"]}]}`
	checkError(t, f.do(t, "POST", "/admin/v1/apply", readToken, file), 403, "forbidden")
	checkError(t, f.do(t, "POST", "/admin/v1/apply?prune=yes", writeToken, file), 400, "invalid")
	checkError(t, f.do(t, "POST", "/admin/v1/apply", writeToken, `{"version":1,"colour":"red"}`), 400, "invalid")
	checkError(t, f.do(t, "POST", "/admin/v1/apply", writeToken, `{"version":1,"clients":[{"id":"x","environment":"sandbox","account":1,"name":"n","secret_from_env":"V"}]}`), 400, "invalid")
	bad := f.do(t, "POST", "/admin/v1/apply", writeToken, strings.Replace(file, `["a"]`, `["a","b c"]`, 1))
	checkError(t, bad, 400, "invalid")
	if !strings.Contains(bad.Body.String(), "clients[0].scopes[1]") {
		t.Fatalf("the refusal does not name the path: %s", bad.Body)
	}

	var res wire.ApplyResult
	decode(t, f.must(t, 200, "POST", "/admin/v1/apply?dry_run=true", writeToken, file), &res)
	if res.Applied || !res.DryRun || len(res.Changes) != 1 || res.Changes[0].Action != "create" || len(res.Credentials) != 0 {
		t.Fatalf("dry run = %+v", res)
	}
	if _, err := f.store.Client(t.Context(), "Abcdefghij0123456789"); err == nil {
		t.Fatal("a dry run created the client")
	}
	res = wire.ApplyResult{}
	decode(t, f.must(t, 200, "POST", "/admin/v1/apply", writeToken, file), &res)
	if !res.Applied || len(res.Credentials) != 1 || res.Credentials[0].ClientSecret == "" || !strings.HasPrefix(res.Credentials[0].APIKey, "gh_sbx_") {
		t.Fatalf("apply = %+v", res)
	}
	c, err := f.store.Client(t.Context(), "Abcdefghij0123456789")
	if err != nil || !c.VerifySecret(res.Credentials[0].ClientSecret, f.clock()) {
		t.Fatalf("the applied client does not take its secret: %v", err)
	}
	if f.refreshes.Load() == 0 {
		t.Error("the cache was not told of the applied change")
	}
	if strings.Contains(f.log.String(), res.Credentials[0].ClientSecret) {
		t.Error("a log line holds the generated secret")
	}
	res = wire.ApplyResult{}
	decode(t, f.must(t, 200, "POST", "/admin/v1/apply", writeToken, file), &res)
	if res.Applied || len(res.Changes) != 0 {
		t.Fatalf("a second apply = %+v", res)
	}
}
