package adminapi

import (
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

func TestCreateAccount(t *testing.T) {
	f := newFixture(t)

	t.Run("creating an account answers 201 with every field", func(t *testing.T) {
		rec := f.must(t, http.StatusCreated, "POST", "/admin/v1/accounts", writeToken, `{"name":"Acme Ltd"}`)
		gotKeys := keys(t, rec.Body.String())
		sort.Strings(gotKeys)
		if want := []string{"created_at", "id", "name"}; !slices.Equal(gotKeys, want) {
			t.Errorf("keys %v, want %v", gotKeys, want)
		}
		var a wire.Account
		decode(t, rec, &a)
		if a.ID <= 0 || a.Name != "Acme Ltd" || !a.CreatedAt.Equal(startTime) {
			t.Errorf("account %+v", a)
		}
		if loc := rec.Header().Get("Location"); loc != fmt.Sprintf("/admin/v1/accounts/%d", a.ID) {
			t.Errorf("Location %q", loc)
		}
		var got wire.Account
		decode(t, f.must(t, http.StatusOK, "GET", fmt.Sprintf("/admin/v1/accounts/%d", a.ID), readToken, ""), &got)
		if got.ID != a.ID || got.Name != a.Name || !got.CreatedAt.Equal(a.CreatedAt) {
			t.Errorf("read back %+v, created %+v", got, a)
		}
	})

	before := f.refreshes.Load()
	invalid := []struct{ name, body string }{
		{"an empty name is invalid", `{"name":"  "}`},
		{"a missing body is invalid", ``},
		{"an unknown field is invalid", `{"name":"x","owner":"y"}`},
		{"malformed JSON is invalid", `{"name":`},
		{"a name of the wrong type is invalid", `{"name":42}`},
		{"an array body is invalid", `["x"]`},
		{"two objects are invalid", `{"name":"a"}{"name":"b"}`},
		{"a body over 1 MiB is invalid", `{"name":"` + strings.Repeat("a", 1<<20) + `"}`},
		{"a name over 200 characters is invalid", `{"name":"` + strings.Repeat("a", 201) + `"}`},
	}
	for _, tt := range invalid {
		t.Run(tt.name, func(t *testing.T) {
			checkError(t, f.do(t, "POST", "/admin/v1/accounts", writeToken, tt.body), http.StatusBadRequest, gatehouse.EINVALID)
		})
	}
	t.Run("a body that is not JSON by content type is invalid", func(t *testing.T) {
		req := strings.NewReader("name=x")
		r := newRequest(t, "POST", "/admin/v1/accounts", req)
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.Header.Set("Authorization", "Bearer "+writeToken)
		checkError(t, serve(f, r), http.StatusBadRequest, gatehouse.EINVALID)
	})
	if n := f.refreshes.Load() - before; n != 0 {
		t.Errorf("failed creations refreshed the cache %d times", n)
	}
}

func TestGetAccount(t *testing.T) {
	f := newFixture(t)
	t.Run("an unknown account is not found", func(t *testing.T) {
		checkError(t, f.do(t, "GET", "/admin/v1/accounts/999", readToken, ""), http.StatusNotFound, gatehouse.ENOTFOUND)
	})
	t.Run("a non-numeric id is invalid", func(t *testing.T) {
		checkError(t, f.do(t, "GET", "/admin/v1/accounts/abc", readToken, ""), http.StatusBadRequest, gatehouse.EINVALID)
	})
}

func TestListAccounts(t *testing.T) {
	f := newFixture(t)
	var ids []int64
	for i := range 5 {
		var a wire.Account
		decode(t, f.must(t, http.StatusCreated, "POST", "/admin/v1/accounts", writeToken, fmt.Sprintf(`{"name":"account %d"}`, i)), &a)
		ids = append(ids, a.ID)
	}

	t.Run("pages of two follow each other to the end", func(t *testing.T) {
		var got []int64
		after := ""
		pages := 0
		for {
			path := "/admin/v1/accounts?limit=2"
			if after != "" {
				path += "&after=" + after
			}
			rec := f.must(t, http.StatusOK, "GET", path, readToken, "")
			var page wire.AccountPage
			decode(t, rec, &page)
			pages++
			for _, a := range page.Items {
				got = append(got, a.ID)
			}
			if page.NextAfter == nil {
				if strings.Contains(rec.Body.String(), "next_after") {
					t.Errorf("last page %s mentions next_after", rec.Body)
				}
				break
			}
			if *page.NextAfter != page.Items[len(page.Items)-1].ID {
				t.Errorf("next_after %d is not the last id of the page", *page.NextAfter)
			}
			after = fmt.Sprint(*page.NextAfter)
		}
		if !slices.Equal(got, ids) || pages != 3 {
			t.Errorf("got %v in %d pages, want %v in 3", got, pages, ids)
		}
	})
	t.Run("an exact last page has no next_after", func(t *testing.T) {
		var page wire.AccountPage
		decode(t, f.must(t, http.StatusOK, "GET", fmt.Sprintf("/admin/v1/accounts?limit=2&after=%d", ids[2]), readToken, ""), &page)
		if len(page.Items) != 2 || page.NextAfter != nil {
			t.Errorf("page %+v", page)
		}
	})
	t.Run("an empty list is an empty array", func(t *testing.T) {
		rec := f.must(t, http.StatusOK, "GET", fmt.Sprintf("/admin/v1/accounts?after=%d", ids[4]), readToken, "")
		if got := strings.TrimSpace(rec.Body.String()); got != `{"items":[]}` {
			t.Errorf("body %s", got)
		}
	})
	t.Run("the largest page size is accepted", func(t *testing.T) {
		var page wire.AccountPage
		decode(t, f.must(t, http.StatusOK, "GET", fmt.Sprintf("/admin/v1/accounts?limit=%d", maxPageLimit), readToken, ""), &page)
		if len(page.Items) != len(ids) || page.NextAfter != nil {
			t.Errorf("page %+v", page)
		}
	})
	for _, q := range []string{"limit=0", "limit=501", "limit=x", "after=-1", "after=x"} {
		t.Run("the query "+q+" is invalid", func(t *testing.T) {
			checkError(t, f.do(t, "GET", "/admin/v1/accounts?"+q, readToken, ""), http.StatusBadRequest, gatehouse.EINVALID)
		})
	}
}
