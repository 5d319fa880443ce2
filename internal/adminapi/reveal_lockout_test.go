package adminapi

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// TestRevealLockout checks that wrong reveal passwords lock the user out:
// after five wrong ones even the right password is refused with 429 and
// Retry-After, other users are not affected, the refusals are audited, and
// once the window passed the right password works again.
func TestRevealLockout(t *testing.T) {
	f := newFixture(t)
	f.withMasterKey(t)
	f.addUser(t, "admin@localhost", "operator-pw", nil)
	f.addUser(t, "other@localhost", "other-pw", nil)
	f.must(t, http.StatusOK, "PATCH", "/admin/v1/environments/sandbox", writeToken, `{"allow_reveal":true}`)
	c := f.createClient(t, `{"environment":"sandbox","name":"acme"}`)
	path := "/admin/v1/clients/" + c.ClientID + "/reveal"
	right := `{"email":"admin@localhost","password":"operator-pw"}`
	wrong := `{"email":"Admin@localhost","password":"guess"}`

	for i := range 4 {
		checkError(t, f.do(t, "POST", path, writeToken, wrong), http.StatusForbidden, gatehouse.EFORBIDDEN)
		if i == 1 {
			f.advance(time.Minute)
		}
	}
	rec := f.do(t, "POST", path, writeToken, wrong)
	checkError(t, rec, http.StatusTooManyRequests, gatehouse.ETOOMANYREQUESTS)
	rec = f.do(t, "POST", path, writeToken, right)
	checkError(t, rec, http.StatusTooManyRequests, gatehouse.ETOOMANYREQUESTS)
	if strings.Contains(rec.Body.String(), c.ClientSecret) {
		t.Fatal("a locked-out reveal shows the secret")
	}
	// The window started with the first failure, a minute ago.
	if got := rec.Header().Get("Retry-After"); got != strconv.Itoa(int((14 * time.Minute).Seconds())) {
		t.Fatalf("Retry-After %q, want %d", got, int((14 * time.Minute).Seconds()))
	}

	var out wire.RevealedSecret
	decode(t, f.must(t, http.StatusOK, "POST", path, writeToken, `{"email":"other@localhost","password":"other-pw"}`), &out)
	if out.ClientSecret != c.ClientSecret {
		t.Fatal("another user's reveal showed the wrong secret")
	}

	var locked int
	for _, e := range f.audits(t, c.ClientID) {
		if e.Outcome == gatehouse.OutcomeDenied && strings.Contains(e.Detail, "locked") {
			locked++
		}
	}
	if locked != 2 {
		t.Fatalf("%d locked-out reveals audited, want 2", locked)
	}

	f.advance(14*time.Minute - time.Second)
	checkError(t, f.do(t, "POST", path, writeToken, right), http.StatusTooManyRequests, gatehouse.ETOOMANYREQUESTS)
	f.advance(time.Second)
	decode(t, f.must(t, http.StatusOK, "POST", path, writeToken, right), &out)
	if out.ClientSecret != c.ClientSecret {
		t.Fatal("the reveal after the window showed the wrong secret")
	}
	// The success cleared the count: one wrong password does not lock again.
	checkError(t, f.do(t, "POST", path, writeToken, wrong), http.StatusForbidden, gatehouse.EFORBIDDEN)
	decode(t, f.must(t, http.StatusOK, "POST", path, writeToken, right), &out)
}
