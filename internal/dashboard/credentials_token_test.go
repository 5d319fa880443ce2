package dashboard

import (
	"encoding/base64"
	"strings"
	"testing"
)

func TestDecodeToken(t *testing.T) {
	enc := base64.RawURLEncoding.EncodeToString
	jwt := enc([]byte(`{"alg":"ES256","kid":"k1","typ":"at+jwt"}`)) + "." + enc([]byte(`{"client_id":"c1","scope":"a b"}`)) + ".sig"
	d, err := decodeToken(jwt, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(d.Header, `"alg": "ES256"`) || !strings.Contains(d.Claims, `"client_id": "c1"`) || d.Token != jwt {
		t.Fatalf("decoded JWT %+v", d)
	}

	d, err = decodeToken("gho_sealed", map[string]any{"client_id": "c2"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Header != "" || !strings.Contains(d.Claims, `"client_id": "c2"`) {
		t.Fatalf("decoded opaque token %+v, want the verified claims and no header", d)
	}

	if _, err := decodeToken("a.!!!.c", nil); err == nil {
		t.Fatal("a JWT with a bad claims segment decoded without error")
	}
}
