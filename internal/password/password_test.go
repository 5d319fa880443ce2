package password

import (
	"crypto/rand"
	"testing"
)

func TestHashAndVerify(t *testing.T) {
	h, err := Hash("correct horse", rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, password string
		want           bool
	}{
		{"the right password matches", "correct horse", true},
		{"a wrong password does not match", "correct horsE", false},
		{"an empty password does not match", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := Verify(tc.password, h)
			if err != nil || ok != tc.want {
				t.Fatalf("Verify = %v, %v; want %v", ok, err, tc.want)
			}
		})
	}
}

func TestVerifyRejectsMalformedHashes(t *testing.T) {
	for _, h := range []string{"", "plain", "$argon2i$v=19$m=1,t=1,p=1$c2FsdA$a2V5", "$argon2id$v=19$m=x$c2FsdA$a2V5", "$argon2id$v=19$m=65536,t=3,p=4$!!$a2V5"} {
		if _, err := Verify("pw", h); err != ErrMalformedHash {
			t.Errorf("Verify(%q) err = %v, want ErrMalformedHash", h, err)
		}
	}
}
