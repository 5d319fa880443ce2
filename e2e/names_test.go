package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// TestProductionEnvironmentsGetTheProductionKeyPrefix creates a test and a
// production environment under free names (as the Keycloak-style layout
// has them): only the one marked production gets gh_prd_ keys, and a key
// made before the mark keeps working.
func TestProductionEnvironmentsGetTheProductionKeyPrefix(t *testing.T) {
	ctx := context.Background()
	s := startServer(t, app.Config{})
	s.createEnvironment(t, "test-clients")
	if _, err := s.Admin.CreateEnvironment(ctx, adminclient.CreateEnvironmentRequest{Name: "clients", Production: true}); err != nil {
		t.Fatal(err)
	}
	for env, want := range map[string]string{"test-clients": "gh_env_", "clients": "gh_prd_", "production": "gh_prd_", "sandbox": "gh_sbx_"} {
		if c := s.createClient(t, wire.CreateClientRequest{Environment: env}); !strings.HasPrefix(c.APIKey, want) {
			t.Errorf("an API key of %s starts %s, want %s", env, c.APIKey[:7], want)
		}
	}
	before := s.createClient(t, wire.CreateClientRequest{Environment: "test-clients"})
	if _, err := s.Admin.UpdateEnvironment(ctx, "test-clients", adminclient.UpdateEnvironmentRequest{Production: wire.Some(true)}); err != nil {
		t.Fatal(err)
	}
	if c := s.createClient(t, wire.CreateClientRequest{Environment: "test-clients"}); !strings.HasPrefix(c.APIKey, "gh_prd_") {
		t.Errorf("after marking test-clients production its new keys start %s", c.APIKey[:7])
	}
	// Keys are read whatever their prefix: the one made before the mark
	// still gets tokens (Lemonway-style endpoints take the API key itself).
	if id, secret, err := gatehouse.ParseAPIKey(before.APIKey); err != nil || id != before.ClientID || secret != before.ClientSecret {
		t.Fatalf("the gh_env_ key made before the mark no longer parses: %v", err)
	}
	if a := requestToken(t, s, "test-clients", before.ClientID, before.ClientSecret, ""); a.status != http.StatusOK {
		t.Fatalf("the client made before the mark: token request answered %d", a.status)
	}
}
