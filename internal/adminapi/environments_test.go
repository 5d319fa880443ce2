package adminapi

import (
	"net/http"
	"slices"
	"sort"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

func TestEnvironments(t *testing.T) {
	f := newFixture(t)
	want := wire.Environment{
		Name:             "sandbox",
		Issuer:           "https://auth.example.com/realms/sandbox",
		SigningAlgorithm: "ES256",
		TokenSettings:    wire.TokenSettings{Format: "jwt", LifetimeSeconds: 300, Reuse: false, DefaultAudience: ""},
		CreatedAt:        startTime,
		UpdatedAt:        startTime,
	}

	t.Run("listing returns every environment", func(t *testing.T) {
		var list wire.EnvironmentList
		decode(t, f.must(t, http.StatusOK, "GET", "/admin/v1/environments", readToken, ""), &list)
		var names []string
		for _, e := range list.Items {
			names = append(names, e.Name)
			if e.Name == "sandbox" && !equalEnvironment(e, want) {
				t.Errorf("sandbox is %+v, want %+v", e, want)
			}
		}
		sort.Strings(names)
		if !slices.Equal(names, []string{"production", "sandbox"}) {
			t.Errorf("names %v", names)
		}
	})
	t.Run("getting one shows every field", func(t *testing.T) {
		rec := f.must(t, http.StatusOK, "GET", "/admin/v1/environments/sandbox", readToken, "")
		gotKeys := keys(t, rec.Body.String())
		sort.Strings(gotKeys)
		if wantKeys := []string{"allow_reveal", "created_at", "issuer", "name", "production", "rate_limits", "signing_algorithm", "token_settings", "updated_at"}; !slices.Equal(gotKeys, wantKeys) {
			t.Errorf("keys %v, want %v", gotKeys, wantKeys)
		}
		var e wire.Environment
		decode(t, rec, &e)
		if !equalEnvironment(e, want) {
			t.Errorf("got %+v, want %+v", e, want)
		}
		if !contains(rec.Body.String(), `"default_audience":""`, `"created_at":"2025-03-01T12:00:00Z"`) {
			t.Errorf("body %s lacks an always-present field or a UTC time", rec.Body)
		}
	})
	t.Run("an unknown environment is not found", func(t *testing.T) {
		checkError(t, f.do(t, "GET", "/admin/v1/environments/staging", readToken, ""), http.StatusNotFound, gatehouse.ENOTFOUND)
	})
	t.Run("an impossible environment name is not found", func(t *testing.T) {
		checkError(t, f.do(t, "GET", "/admin/v1/environments/Not%20Valid", readToken, ""), http.StatusNotFound, gatehouse.ENOTFOUND)
	})
}

func equalEnvironment(a, b wire.Environment) bool {
	return a.Name == b.Name && a.Issuer == b.Issuer && a.SigningAlgorithm == b.SigningAlgorithm &&
		a.TokenSettings == b.TokenSettings && a.CreatedAt.Equal(b.CreatedAt) && a.UpdatedAt.Equal(b.UpdatedAt)
}
