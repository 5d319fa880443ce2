package adminapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// concretePath fills a route's wildcards with plausible values.
func concretePath(path string) string {
	return strings.NewReplacer("{env}", "sandbox", "{id}", "1", "{client_id}", "no-such-client").Replace(path)
}

func TestOpenAPIDocumentMatchesTheRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDocument, &doc); err != nil {
		t.Fatalf("openapi.json is not JSON: %v", err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi version %q, want 3.x", doc.OpenAPI)
	}
	var documented, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, rt := range routes() {
		served = append(served, rt.method+" "+rt.path)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if !slices.Equal(documented, served) {
		t.Errorf("openapi.json documents\n  %s\nbut the handler serves\n  %s", strings.Join(documented, "\n  "), strings.Join(served, "\n  "))
	}

	t.Run("only public routes are documented without security", func(t *testing.T) {
		for _, rt := range routes() {
			var op struct {
				Security *[]any `json:"security"`
			}
			json.Unmarshal(doc.Paths[rt.path][strings.ToLower(rt.method)], &op)
			documentedPublic := op.Security != nil && len(*op.Security) == 0
			if documentedPublic != (rt.access == public) {
				t.Errorf("%s %s: documented public=%v, route access %v", rt.method, rt.path, documentedPublic, rt.access)
			}
		}
	})
	t.Run("the documented page size limit is the enforced one", func(t *testing.T) {
		var d struct {
			Components struct {
				Parameters struct {
					Limit struct {
						Schema struct {
							Maximum int `json:"maximum"`
						} `json:"schema"`
					} `json:"limit"`
				} `json:"parameters"`
			} `json:"components"`
		}
		json.Unmarshal(openAPIDocument, &d)
		if got := d.Components.Parameters.Limit.Schema.Maximum; got != maxPageLimit {
			t.Errorf("documented maximum %d, enforced %d", got, maxPageLimit)
		}
	})
	t.Run("every reference resolves", func(t *testing.T) {
		var all any
		json.Unmarshal(openAPIDocument, &all)
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				if ref, ok := v["$ref"].(string); ok {
					if !resolves(all, ref) {
						t.Errorf("$ref %q does not resolve", ref)
					}
				}
				for _, x := range v {
					walk(x)
				}
			case []any:
				for _, x := range v {
					walk(x)
				}
			}
		}
		walk(all)
	})
}

func resolves(doc any, ref string) bool {
	cur := doc
	for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

func TestOpenAPIDocumentIsServedWithoutCredentials(t *testing.T) {
	f := newFixture(t)
	rec := f.must(t, http.StatusOK, "GET", "/admin/v1/openapi.json", "", "")
	if rec.Body.String() != string(openAPIDocument) {
		t.Error("served document differs from the embedded one")
	}
}

func TestEveryProtectedRouteAuthenticates(t *testing.T) {
	f := newFixture(t)
	for _, rt := range routes() {
		if rt.access == public {
			continue
		}
		path := concretePath(rt.path)
		t.Run(rt.method+" "+rt.path+" without a credential is 401 with a Bearer challenge", func(t *testing.T) {
			rec := f.do(t, rt.method, path, "", "")
			checkError(t, rec, http.StatusUnauthorized, gatehouse.EUNAUTHORIZED)
			if got := rec.Header().Get("WWW-Authenticate"); got != `Bearer realm="admin"` {
				t.Errorf("WWW-Authenticate %q", got)
			}
		})
		t.Run(rt.method+" "+rt.path+" with a bad token is 401", func(t *testing.T) {
			checkError(t, f.do(t, rt.method, path, "wrong", ""), http.StatusUnauthorized, gatehouse.EUNAUTHORIZED)
		})
		t.Run(rt.method+" "+rt.path+" without admin scopes is 403", func(t *testing.T) {
			checkError(t, f.do(t, rt.method, path, noScopeToken, ""), http.StatusForbidden, gatehouse.EFORBIDDEN)
		})
		if rt.access == writeScope {
			t.Run(rt.method+" "+rt.path+" with only admin:read is 403", func(t *testing.T) {
				checkError(t, f.do(t, rt.method, path, readToken, "{}"), http.StatusForbidden, gatehouse.EFORBIDDEN)
			})
		} else {
			t.Run(rt.method+" "+rt.path+" with admin:read passes authorisation", func(t *testing.T) {
				if rec := f.do(t, rt.method, path, readToken, ""); rec.Code == http.StatusUnauthorized || rec.Code == http.StatusForbidden {
					t.Errorf("status %d: %s", rec.Code, rec.Body)
				}
			})
		}
	}
	if n := f.refreshes.Load(); n != 0 {
		t.Errorf("refused requests refreshed the cache %d times", n)
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name, method, path string
		status             int
		code, allow        string
	}{
		{"an unknown path is a JSON 404", "GET", "/admin/v1/nothing", 404, gatehouse.ENOTFOUND, ""},
		{"a path under a known one is a JSON 404", "GET", "/admin/v1/clients/abc/secrets", 404, gatehouse.ENOTFOUND, ""},
		{"another API version is a JSON 404", "GET", "/admin/v2/clients", 404, gatehouse.ENOTFOUND, ""},
		{"DELETE on a collection is a 405 listing its methods", "DELETE", "/admin/v1/clients", 405, codeMethodNotAllowed, "GET, HEAD, POST"},
		{"GET on rotate is a 405 allowing POST", "GET", "/admin/v1/clients/abc/rotate", 405, codeMethodNotAllowed, "POST"},
		{"POST on an environment is a 405", "POST", "/admin/v1/environments/sandbox", 405, codeMethodNotAllowed, "GET, HEAD, PATCH"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := f.do(t, tt.method, tt.path, writeToken, "")
			checkError(t, rec, tt.status, tt.code)
			if got := rec.Header().Get("Allow"); got != tt.allow {
				t.Errorf("Allow %q, want %q", got, tt.allow)
			}
		})
	}
}

// failingStore fails every environment listing with err.
type failingStore struct {
	gatehouse.Store
	err error
}

func (s failingStore) Environments(ctx context.Context) ([]*gatehouse.Environment, error) {
	return nil, s.err
}

func TestStorageFailures(t *testing.T) {
	tests := []struct {
		name    string
		err     error
		status  int
		code    string
		message string
	}{
		{"an unexpected error is a 500 that shows nothing of it", errors.New("disk on fire at /var/lib/x"), 500, gatehouse.EINTERNAL, "internal error"},
		{"an internal *Error hides its message too", gatehouse.Errorf(gatehouse.EINTERNAL, "secret detail"), 500, gatehouse.EINTERNAL, "internal error"},
		{"an unavailable store is a 503", gatehouse.ErrUnavailable, 503, gatehouse.EUNAVAILABLE, gatehouse.EUNAVAILABLE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixtureWithStore(t, failingStore{Store: openStore(t), err: tt.err})
			rec := f.do(t, "GET", "/admin/v1/environments", readToken, "")
			checkError(t, rec, tt.status, tt.code)
			if !strings.Contains(rec.Body.String(), `"message":"`+tt.message+`"`) {
				t.Errorf("body %s, want message %q", rec.Body, tt.message)
			}
		})
	}
}

func TestAnswersAreNotCached(t *testing.T) {
	f := newFixture(t)
	rec := f.must(t, http.StatusOK, "GET", "/admin/v1/environments", readToken, "")
	if got := rec.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q, want no-store", got)
	}
}

func TestAFailedRefreshDoesNotFailTheMutation(t *testing.T) {
	f := newFixture(t)
	f.refreshErr = errors.New("cache unreachable")
	f.must(t, http.StatusCreated, "POST", "/admin/v1/accounts", writeToken, `{"name":"a"}`)
	if !strings.Contains(f.log.String(), "cache unreachable") {
		t.Errorf("the failure is not logged: %s", f.log.String())
	}
}

func TestSecretsNeverReachTheLog(t *testing.T) {
	f := newFixture(t)
	c := f.createClient(t, `{"environment":"sandbox","name":"acme"}`)
	var r wire.ClientWithSecret
	decode(t, f.must(t, http.StatusOK, "POST", "/admin/v1/clients/"+c.ClientID+"/rotate", writeToken, `{"grace_seconds":60}`), &r)
	log := f.log.String()
	if !strings.Contains(log, c.ClientID) {
		t.Fatalf("mutations are not logged: %s", log)
	}
	for _, secret := range []string{c.ClientSecret, c.APIKey, r.ClientSecret, r.APIKey} {
		if strings.Contains(log, secret) {
			t.Errorf("the log holds a secret: %s", log)
		}
	}
}

func TestInternalErrorsAreLogged(t *testing.T) {
	f := newFixtureWithStore(t, failingStore{Store: openStore(t), err: errors.New("disk on fire")})
	f.do(t, "GET", "/admin/v1/environments", readToken, "")
	if !strings.Contains(f.log.String(), "disk on fire") {
		t.Errorf("log %s", f.log.String())
	}
}
