package gatehouse_test

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

func TestHTTPStatusIsTheOneTableFromCodesToStatuses(t *testing.T) {
	for _, tc := range []struct {
		code string
		want int
	}{
		{gatehouse.EINVALID, 400},
		{gatehouse.EUNAUTHORIZED, 401},
		{gatehouse.EFORBIDDEN, 403},
		{gatehouse.ENOTFOUND, 404},
		{gatehouse.ECONFLICT, 409},
		{gatehouse.EINTERNAL, 500},
		{gatehouse.EUNAVAILABLE, 503},
		{"no_such_code", 500},
		{"", 500},
	} {
		if got := gatehouse.HTTPStatus(tc.code); got != tc.want {
			t.Errorf("HTTPStatus(%q) = %d, want %d", tc.code, got, tc.want)
		}
	}
}
