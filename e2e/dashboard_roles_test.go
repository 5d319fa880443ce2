package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// TestDashboardAnotherAccountsCredentialIsNotFound: a signed-in user of
// one account asking for another account's credential, or posting to
// revoke it with a valid form token, gets 404 and learns nothing.
func TestDashboardAnotherAccountsCredentialIsNotFound(t *testing.T) {
	s := startServer(t, app.Config{})
	acme, _, _ := s.newAccountUser(t, "Acme", gatehouse.RoleOwner)
	c := s.createClient(t, wire.CreateClientRequest{AccountID: acme, Name: "acme-billing-secret-name"})
	_, email, pw := s.newAccountUser(t, "Globex", gatehouse.RoleOwner)
	b := newBrowser(t, s)
	if status := b.signIn(email, pw); status != http.StatusOK {
		t.Fatalf("sign-in: %d", status)
	}
	for _, path := range []string{"/ui/env/sandbox/credentials/" + c.ClientID, "/ui/env/sandbox/credentials/" + c.ClientID + "/revoke"} {
		status := b.open(path)
		if status != http.StatusNotFound {
			t.Errorf("GET %s as another account's owner: status %d, want 404", path, status)
		}
		if body := b.eval("document.body.innerText"); strings.Contains(body, "acme-billing-secret-name") {
			t.Errorf("GET %s shows the other account's credential name", path)
		}
	}
	b.open("/ui/env/sandbox/credentials")
	token := b.formToken()
	if status := s.post(t, "/ui/env/sandbox/credentials/"+c.ClientID+"/revoke", map[string]string{"csrf": token}, b.cookies(), nil); status != http.StatusNotFound {
		t.Errorf("POST revoke of another account's credential: status %d, want 404", status)
	}
	if got, err := s.Admin.Client(context.Background(), c.ClientID); err != nil || got.Status != "active" {
		t.Fatalf("the other account's credential after the refused revoke: %+v, %v; want active", got, err)
	}
}
