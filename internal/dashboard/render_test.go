package dashboard

import (
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

func TestFailAnswersWithTheSharedStatusAndAHumanMessage(t *testing.T) {
	h := newHarness(t, nil)
	for _, tc := range []struct {
		name, show, hide string
		err              error
	}{
		{"not found never says whether the thing exists", "nothing here", "client 42", gatehouse.Errorf(gatehouse.ENOTFOUND, "client 42 not found")},
		{"forbidden names the role, not the rule", "role does not allow", "needs admin", gatehouse.Errorf(gatehouse.EFORBIDDEN, "needs admin")},
		{"invalid shows the error's own message", "name is too long", "", gatehouse.Errorf(gatehouse.EINVALID, "name is too long")},
		{"conflict shows the error's own message", "already revoked", "", gatehouse.Errorf(gatehouse.ECONFLICT, "already revoked")},
		{"unauthorized shows the error's own message", "wrong password", "", gatehouse.Errorf(gatehouse.EUNAUTHORIZED, "wrong password")},
		{"unavailable asks to try again", "try again in a moment", "db down", gatehouse.Errorf(gatehouse.EUNAVAILABLE, "db down")},
		{"an unknown code is an internal error", "went wrong on our side", "secret detail", gatehouse.Errorf("teapot", "secret detail")},
		{"a plain error is an internal error", "went wrong on our side", "dial tcp", errors.New("dial tcp 10.0.0.1:5432")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			h.d.fail(rec, httptest.NewRequest("GET", "/ui/", nil), nil, tc.err)
			if want := gatehouse.HTTPStatus(gatehouse.ErrorCode(tc.err)); rec.Code != want {
				t.Errorf("status %d, want %d", rec.Code, want)
			}
			body := rec.Body.String()
			if !strings.Contains(body, tc.show) {
				t.Errorf("page does not say %q:\n%s", tc.show, body)
			}
			if tc.hide != "" && strings.Contains(body, tc.hide) {
				t.Errorf("page shows %q", tc.hide)
			}
		})
	}
}
