package adminapi

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// createClient creates a client through the API and returns the answer.
func (f *fixture) createClient(t *testing.T, body string) wire.ClientWithSecret {
	t.Helper()
	var c wire.ClientWithSecret
	decode(t, f.must(t, http.StatusCreated, "POST", "/admin/v1/clients", writeToken, body), &c)
	return c
}

// storedClient reads a client straight from the store.
func (f *fixture) storedClient(t *testing.T, id string) *gatehouse.Client {
	t.Helper()
	c, err := f.store.Client(context.Background(), id)
	if err != nil {
		t.Fatalf("load client %s: %v", id, err)
	}
	return c
}

func TestCreateClient(t *testing.T) {
	f := newFixture(t)

	t.Run("creating a client without account creates one and shows the secret once", func(t *testing.T) {
		rec := f.must(t, http.StatusCreated, "POST", "/admin/v1/clients", writeToken,
			`{"environment":"sandbox","name":"acme","scopes":["ledger:read","ledger:write","ledger:read"],
			  "audiences":["https://api.example.com"],"allowed_cidrs":["203.0.113.7/24","2001:db8::/32"]}`)
		body := rec.Body.String()
		gotKeys := keys(t, body)
		sort.Strings(gotKeys)
		wantKeys := []string{"account_id", "allowed_cidrs", "api_key", "audiences", "client_id", "client_secret",
			"created_at", "environment", "name", "scopes", "secrets", "status", "token_overrides", "updated_at"}
		if !slices.Equal(gotKeys, wantKeys) {
			t.Errorf("keys %v, want %v", gotKeys, wantKeys)
		}
		if strings.Contains(strings.ToLower(body), "hash") {
			t.Errorf("answer mentions a hash: %s", body)
		}
		var c wire.ClientWithSecret
		decode(t, rec, &c)
		if len(c.ClientID) != gatehouse.ClientIDLength || len(c.ClientSecret) != gatehouse.SecretLength {
			t.Errorf("client id %q / secret of %d characters", c.ClientID, len(c.ClientSecret))
		}
		if c.Environment != "sandbox" || c.Name != "acme" || c.Status != "active" {
			t.Errorf("client %+v", c.Client)
		}
		if !slices.Equal(c.Scopes, []string{"ledger:read", "ledger:write"}) ||
			!slices.Equal(c.Audiences, []string{"https://api.example.com"}) ||
			!slices.Equal(c.AllowedCIDRs, []string{"203.0.113.0/24", "2001:db8::/32"}) {
			t.Errorf("scopes %v audiences %v cidrs %v", c.Scopes, c.Audiences, c.AllowedCIDRs)
		}
		if !c.CreatedAt.Equal(startTime) || !c.UpdatedAt.Equal(startTime) {
			t.Errorf("times %v %v", c.CreatedAt, c.UpdatedAt)
		}
		if len(c.Secrets) != 1 || c.Secrets[0].ExpiresAt != nil || !c.Secrets[0].CreatedAt.Equal(startTime) {
			t.Errorf("secrets %+v", c.Secrets)
		}
		if strings.Contains(body, "expires_at") {
			t.Errorf("a secret without expiry shows expires_at: %s", body)
		}
		if loc := rec.Header().Get("Location"); loc != "/admin/v1/clients/"+c.ClientID {
			t.Errorf("Location %q", loc)
		}

		id, secret, err := gatehouse.ParseAPIKey(c.APIKey)
		if err != nil || id != c.ClientID || secret != c.ClientSecret || !strings.HasPrefix(c.APIKey, "gh_sbx_") {
			t.Errorf("api key %q parses to %q, %q, %v", c.APIKey, id, secret, err)
		}
		stored := f.storedClient(t, c.ClientID)
		if len(stored.Secrets) != 1 || stored.Secrets[0].Hash != gatehouse.HashSecret(c.ClientSecret) {
			t.Error("the store does not hold the SHA-256 hash of the secret")
		}
		if !stored.VerifySecret(c.ClientSecret, startTime) {
			t.Error("the secret does not verify")
		}

		var a wire.Account
		decode(t, f.must(t, http.StatusOK, "GET", fmt.Sprintf("/admin/v1/accounts/%d", c.AccountID), readToken, ""), &a)
		if a.Name != "acme" {
			t.Errorf("new account is named %q, want the client's name", a.Name)
		}

		var got wire.Client
		decode(t, f.must(t, http.StatusOK, "GET", "/admin/v1/clients/"+c.ClientID, readToken, ""), &got)
		if got.ClientID != c.ClientID || got.AccountID != c.AccountID || !slices.Equal(got.AllowedCIDRs, c.AllowedCIDRs) {
			t.Errorf("read back %+v, created %+v", got, c.Client)
		}
	})

	t.Run("creating a client in an existing account uses it, and empty lists are arrays", func(t *testing.T) {
		var a wire.Account
		decode(t, f.must(t, http.StatusCreated, "POST", "/admin/v1/accounts", writeToken, `{"name":"Globex"}`), &a)
		rec := f.must(t, http.StatusCreated, "POST", "/admin/v1/clients", writeToken,
			fmt.Sprintf(`{"environment":"production","account_id":%d,"name":"globex-prod"}`, a.ID))
		if !contains(rec.Body.String(), `"scopes":[]`, `"audiences":[]`, `"allowed_cidrs":[]`) {
			t.Errorf("body %s", rec.Body)
		}
		var c wire.ClientWithSecret
		decode(t, rec, &c)
		if c.AccountID != a.ID || !strings.HasPrefix(c.APIKey, "gh_prd_") {
			t.Errorf("account %d, api key %q", c.AccountID, c.APIKey)
		}
	})

	before := f.refreshes.Load()
	var accountsBefore []*gatehouse.Account
	accountsBefore, _ = f.store.Accounts(context.Background(), gatehouse.AccountFilter{Limit: 1000})
	failures := []struct {
		name, body string
		status     int
		code       string
	}{
		{"an unknown environment is not found", `{"environment":"staging","name":"x"}`, 404, gatehouse.ENOTFOUND},
		{"an unknown account is not found", `{"environment":"sandbox","account_id":999,"name":"x"}`, 404, gatehouse.ENOTFOUND},
		{"a missing environment is invalid", `{"name":"x"}`, 400, gatehouse.EINVALID},
		{"a malformed environment name is invalid", `{"environment":"Sand Box","name":"x"}`, 400, gatehouse.EINVALID},
		{"a missing name is invalid", `{"environment":"sandbox"}`, 400, gatehouse.EINVALID},
		{"a negative account is invalid", `{"environment":"sandbox","account_id":-1,"name":"x"}`, 400, gatehouse.EINVALID},
		{"a scope with a space is invalid", `{"environment":"sandbox","name":"x","scopes":["a b"]}`, 400, gatehouse.EINVALID},
		{"an empty scope is invalid", `{"environment":"sandbox","name":"x","scopes":[""]}`, 400, gatehouse.EINVALID},
		{"an audience with a space is invalid", `{"environment":"sandbox","name":"x","audiences":["a b"]}`, 400, gatehouse.EINVALID},
		{"a malformed CIDR is invalid", `{"environment":"sandbox","name":"x","allowed_cidrs":["10.0.0.0/33"]}`, 400, gatehouse.EINVALID},
		{"a bare address is not a CIDR", `{"environment":"sandbox","name":"x","allowed_cidrs":["10.0.0.1"]}`, 400, gatehouse.EINVALID},
		{"an unknown field is invalid", `{"environment":"sandbox","name":"x","secret":"mine"}`, 400, gatehouse.EINVALID},
		{"scopes of the wrong type are invalid", `{"environment":"sandbox","name":"x","scopes":"a"}`, 400, gatehouse.EINVALID},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, f.do(t, "POST", "/admin/v1/clients", writeToken, tt.body), tt.status, tt.code)
		})
	}
	t.Run("failed creations change nothing", func(t *testing.T) {
		if n := f.refreshes.Load() - before; n != 0 {
			t.Errorf("failed creations refreshed the cache %d times", n)
		}
		accounts, _ := f.store.Accounts(context.Background(), gatehouse.AccountFilter{Limit: 1000})
		if len(accounts) != len(accountsBefore) {
			t.Errorf("failed creations left %d accounts behind", len(accounts)-len(accountsBefore))
		}
	})
}

func TestGetClient(t *testing.T) {
	f := newFixture(t)
	t.Run("an unknown client is not found", func(t *testing.T) {
		checkError(t, f.do(t, "GET", "/admin/v1/clients/nope", readToken, ""), http.StatusNotFound, gatehouse.ENOTFOUND)
	})
}

func TestListClients(t *testing.T) {
	f := newFixture(t)
	var a wire.Account
	decode(t, f.must(t, http.StatusCreated, "POST", "/admin/v1/accounts", writeToken, `{"name":"Acme"}`), &a)
	var all, sandbox, ofAccount []string
	for i := range 5 {
		env := "sandbox"
		if i%2 == 1 {
			env = "production"
		}
		account := ""
		if i < 3 {
			account = fmt.Sprintf(`"account_id":%d,`, a.ID)
		}
		c := f.createClient(t, fmt.Sprintf(`{"environment":%q,%s"name":"client %d"}`, env, account, i))
		all = append(all, c.ClientID)
		if env == "sandbox" {
			sandbox = append(sandbox, c.ClientID)
		}
		if i < 3 {
			ofAccount = append(ofAccount, c.ClientID)
		}
	}
	sort.Strings(all)
	sort.Strings(sandbox)
	sort.Strings(ofAccount)

	list := func(t *testing.T, query string) []string {
		t.Helper()
		var ids []string
		after := ""
		for range 10 {
			path := "/admin/v1/clients?limit=2" + query
			if after != "" {
				path += "&after=" + after
			}
			var page wire.ClientPage
			decode(t, f.must(t, http.StatusOK, "GET", path, readToken, ""), &page)
			for _, c := range page.Items {
				ids = append(ids, c.ClientID)
				if c.Secrets == nil || c.Scopes == nil {
					t.Errorf("client %s has null lists", c.ClientID)
				}
			}
			if page.NextAfter == "" {
				return ids
			}
			after = page.NextAfter
		}
		t.Fatal("paging does not end")
		return nil
	}
	tests := []struct {
		name, query string
		want        []string
	}{
		{"paging lists every client in id order", "", all},
		{"filtering by environment lists only that environment", "&environment=sandbox", sandbox},
		{"filtering by account lists only that account", fmt.Sprintf("&account_id=%d", a.ID), ofAccount},
		{"filtering by an unknown environment lists nothing", "&environment=staging", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := list(t, tt.query); !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("an empty list is an empty array", func(t *testing.T) {
		rec := f.must(t, http.StatusOK, "GET", "/admin/v1/clients?environment=staging", readToken, "")
		if got := strings.TrimSpace(rec.Body.String()); got != `{"items":[]}` {
			t.Errorf("body %s", got)
		}
	})
	for _, q := range []string{"limit=0", "limit=abc", "account_id=x", "account_id=0", "environment=Bad%20Env"} {
		t.Run("the query "+q+" is invalid", func(t *testing.T) {
			checkError(t, f.do(t, "GET", "/admin/v1/clients?"+q, readToken, ""), http.StatusBadRequest, gatehouse.EINVALID)
		})
	}
}

func TestRotateClientSecret(t *testing.T) {
	t.Run("rotating without grace ends the old secret at once", func(t *testing.T) {
		f := newFixture(t)
		old := f.createClient(t, `{"environment":"sandbox","name":"acme"}`)
		f.advance(time.Hour)
		rec := f.must(t, http.StatusOK, "POST", "/admin/v1/clients/"+old.ClientID+"/rotate", writeToken, "")
		var c wire.ClientWithSecret
		decode(t, rec, &c)
		if c.ClientSecret == old.ClientSecret || c.ClientSecret == "" || c.APIKey != gatehouse.FormatAPIKey("sandbox", c.ClientID, c.ClientSecret) {
			t.Errorf("new secret %q, api key %q", c.ClientSecret, c.APIKey)
		}
		if len(c.Secrets) != 1 || c.Secrets[0].ExpiresAt != nil || !c.Secrets[0].CreatedAt.Equal(startTime.Add(time.Hour)) {
			t.Errorf("secrets %+v", c.Secrets)
		}
		if !c.UpdatedAt.Equal(startTime.Add(time.Hour)) || !c.CreatedAt.Equal(startTime) {
			t.Errorf("created %v updated %v", c.CreatedAt, c.UpdatedAt)
		}
		stored := f.storedClient(t, c.ClientID)
		now := f.clock()
		if stored.VerifySecret(old.ClientSecret, now) || !stored.VerifySecret(c.ClientSecret, now) {
			t.Error("after rotation the old secret works or the new one does not")
		}
		if len(stored.Secrets) != 1 || stored.Secrets[0].Hash != gatehouse.HashSecret(c.ClientSecret) {
			t.Errorf("stored secrets %+v", stored.Secrets)
		}
	})

	t.Run("rotating with grace keeps the old secret until the grace ends", func(t *testing.T) {
		f := newFixture(t)
		first := f.createClient(t, `{"environment":"sandbox","name":"acme"}`)
		path := "/admin/v1/clients/" + first.ClientID + "/rotate"
		f.advance(time.Hour)
		var second wire.ClientWithSecret
		decode(t, f.must(t, http.StatusOK, "POST", path, writeToken, `{"grace_seconds":86400}`), &second)
		rotatedAt := startTime.Add(time.Hour)
		until := rotatedAt.Add(24 * time.Hour)
		if len(second.Secrets) != 2 {
			t.Fatalf("secrets %+v, want 2", second.Secrets)
		}
		oldS, newS := second.Secrets[0], second.Secrets[1]
		if oldS.ExpiresAt == nil || !oldS.ExpiresAt.Equal(until) || !oldS.CreatedAt.Equal(startTime) || oldS.ID != first.Secrets[0].ID {
			t.Errorf("old secret %+v, want expiry %v", oldS, until)
		}
		if newS.ExpiresAt != nil || !newS.CreatedAt.Equal(rotatedAt) {
			t.Errorf("new secret %+v", newS)
		}

		stored := f.storedClient(t, first.ClientID)
		for _, tt := range []struct {
			name   string
			at     time.Time
			secret string
			works  bool
		}{
			{"the old secret works during the grace period", until.Add(-time.Second), first.ClientSecret, true},
			{"the old secret fails once the grace period ends", until, first.ClientSecret, false},
			{"the new secret works during the grace period", rotatedAt, second.ClientSecret, true},
			{"the new secret works after the grace period", until.Add(time.Hour), second.ClientSecret, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if got := stored.VerifySecret(tt.secret, tt.at); got != tt.works {
					t.Errorf("VerifySecret at %v = %v", tt.at, got)
				}
			})
		}

		t.Run("rotating again within the grace drops the oldest secret", func(t *testing.T) {
			f.advance(time.Hour)
			var third wire.ClientWithSecret
			decode(t, f.must(t, http.StatusOK, "POST", path, writeToken, `{"grace_seconds":60}`), &third)
			if len(third.Secrets) != gatehouse.MaxSecrets {
				t.Fatalf("secrets %+v", third.Secrets)
			}
			stored := f.storedClient(t, first.ClientID)
			now := f.clock()
			if stored.VerifySecret(first.ClientSecret, now) || !stored.VerifySecret(second.ClientSecret, now) ||
				!stored.VerifySecret(third.ClientSecret, now) || stored.VerifySecret(second.ClientSecret, now.Add(time.Minute)) {
				t.Error("secrets after the second rotation verify wrongly")
			}
		})
		t.Run("rotating after the grace ended drops the expired secret", func(t *testing.T) {
			f.advance(48 * time.Hour)
			var fourth wire.ClientWithSecret
			decode(t, f.must(t, http.StatusOK, "POST", path, writeToken, `{"grace_seconds":60}`), &fourth)
			if len(fourth.Secrets) != 2 || fourth.Secrets[0].ExpiresAt == nil || !fourth.Secrets[0].ExpiresAt.Equal(f.clock().Add(time.Minute)) {
				t.Errorf("secrets %+v", fourth.Secrets)
			}
		})
	})

	f := newFixture(t)
	c := f.createClient(t, `{"environment":"sandbox","name":"acme"}`)
	revoked := f.createClient(t, `{"environment":"sandbox","name":"gone"}`)
	f.must(t, http.StatusOK, "POST", "/admin/v1/clients/"+revoked.ClientID+"/revoke", writeToken, "")
	before := f.refreshes.Load()
	for _, tt := range []struct {
		name, id, body string
		status         int
		code           string
	}{
		{"a negative grace is invalid", c.ClientID, `{"grace_seconds":-1}`, 400, gatehouse.EINVALID},
		{"a grace over 30 days is invalid", c.ClientID, `{"grace_seconds":2592001}`, 400, gatehouse.EINVALID},
		{"an unknown field is invalid", c.ClientID, `{"grace":60}`, 400, gatehouse.EINVALID},
		{"an unknown client is not found", "nope", "", 404, gatehouse.ENOTFOUND},
		{"a revoked client is a conflict", revoked.ClientID, "", 409, gatehouse.ECONFLICT},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, f.do(t, "POST", "/admin/v1/clients/"+tt.id+"/rotate", writeToken, tt.body), tt.status, tt.code)
		})
	}
	if n := f.refreshes.Load() - before; n != 0 {
		t.Errorf("failed rotations refreshed the cache %d times", n)
	}
}

func TestRevokeClient(t *testing.T) {
	f := newFixture(t)
	c := f.createClient(t, `{"environment":"sandbox","name":"acme","scopes":["ledger:read"]}`)
	path := "/admin/v1/clients/" + c.ClientID + "/revoke"
	f.advance(time.Minute)

	t.Run("revoking a client answers it with status revoked", func(t *testing.T) {
		rec := f.must(t, http.StatusOK, "POST", path, writeToken, "")
		if strings.Contains(rec.Body.String(), "client_secret") || strings.Contains(rec.Body.String(), "api_key") {
			t.Errorf("revocation shows a secret: %s", rec.Body)
		}
		var got wire.Client
		decode(t, rec, &got)
		if got.Status != gatehouse.ClientRevoked || !got.UpdatedAt.Equal(startTime.Add(time.Minute)) || !slices.Equal(got.Scopes, []string{"ledger:read"}) {
			t.Errorf("client %+v", got)
		}
		if f.storedClient(t, c.ClientID).Active() {
			t.Error("the stored client is still active")
		}
	})
	t.Run("revoking it again succeeds and changes nothing", func(t *testing.T) {
		before := f.refreshes.Load()
		f.advance(time.Minute)
		var got wire.Client
		decode(t, f.must(t, http.StatusOK, "POST", path, writeToken, ""), &got)
		if got.Status != gatehouse.ClientRevoked || !got.UpdatedAt.Equal(startTime.Add(time.Minute)) {
			t.Errorf("client %+v", got)
		}
		if n := f.refreshes.Load() - before; n != 0 {
			t.Errorf("a repeated revocation refreshed the cache %d times", n)
		}
	})
	t.Run("revoking an unknown client is not found", func(t *testing.T) {
		checkError(t, f.do(t, "POST", "/admin/v1/clients/nope/revoke", writeToken, ""), http.StatusNotFound, gatehouse.ENOTFOUND)
	})
}

func TestEveryMutationRefreshesTheCacheOnce(t *testing.T) {
	f := newFixture(t)
	var c wire.ClientWithSecret
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"creating an account", func(t *testing.T) {
			f.must(t, http.StatusCreated, "POST", "/admin/v1/accounts", writeToken, `{"name":"a"}`)
		}},
		{"creating a client", func(t *testing.T) { c = f.createClient(t, `{"environment":"sandbox","name":"c"}`) }},
		{"rotating a secret", func(t *testing.T) {
			f.must(t, http.StatusOK, "POST", "/admin/v1/clients/"+c.ClientID+"/rotate", writeToken, `{"grace_seconds":10}`)
		}},
		{"revoking a client", func(t *testing.T) {
			f.must(t, http.StatusOK, "POST", "/admin/v1/clients/"+c.ClientID+"/revoke", writeToken, "")
		}},
	}
	for _, s := range steps {
		t.Run(s.name+" refreshes the cache once", func(t *testing.T) {
			before := f.refreshes.Load()
			s.run(t)
			if n := f.refreshes.Load() - before; n != 1 {
				t.Errorf("%d refreshes", n)
			}
		})
	}
	t.Run("reading refreshes nothing", func(t *testing.T) {
		before := f.refreshes.Load()
		for _, p := range []string{"/admin/v1/environments", "/admin/v1/accounts", "/admin/v1/clients", "/admin/v1/clients/" + c.ClientID} {
			f.must(t, http.StatusOK, "GET", p, readToken, "")
		}
		if n := f.refreshes.Load() - before; n != 0 {
			t.Errorf("%d refreshes", n)
		}
	})
}
