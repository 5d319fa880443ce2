package cache_test

import (
	"reflect"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

// How a compact cache entry treats each field of a client and of a secret:
// held (the entry keeps it), unread (no token request reads it, so a cached
// client lacks it) or whole (a client that uses it is cached whole). A field
// added to gatehouse.Client or gatehouse.Secret fails this test until it is
// given a treatment here and, if authentication reads it, in entry.go; a
// must-rotate mark once went missing from cached clients that way.
var (
	clientFieldTreatment = map[string]string{
		"ID": "held", "Environment": "held", "AccountID": "held", "Scopes": "held", "Audiences": "held",
		"AllowedCIDRs": "held", "Tokens": "held", "Status": "held", "Secrets": "held",
		"JWKS": "whole", "PublicKeyPEM": "whole", "MustRotate": "whole",
		"Name": "unread", "CreatedAt": "unread", "UpdatedAt": "unread", "Version": "unread",
	}
	secretFieldTreatment = map[string]string{
		"ID": "held", "Hash": "held", "ExpiresAt": "held",
		"Imported":  "whole",
		"CreatedAt": "unread", "Sealed": "unread",
	}
)

func TestEveryClientFieldHasACacheTreatment(t *testing.T) {
	for _, c := range []struct {
		typ       reflect.Type
		treatment map[string]string
	}{
		{reflect.TypeFor[gatehouse.Client](), clientFieldTreatment},
		{reflect.TypeFor[gatehouse.Secret](), secretFieldTreatment},
	} {
		fields := map[string]bool{}
		for f := range c.typ.Fields() {
			fields[f.Name] = true
			if _, ok := c.treatment[f.Name]; !ok {
				t.Errorf("%s.%s has no cache treatment: decide whether a compact entry holds it, whether it makes the client cached whole, or whether no token request reads it (internal/cache/entry.go)", c.typ.Name(), f.Name)
			}
		}
		for name := range c.treatment {
			if !fields[name] {
				t.Errorf("%s has no field %s any more; drop it from the table", c.typ.Name(), name)
			}
		}
	}
}
