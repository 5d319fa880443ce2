package dashboard

import (
	"testing"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
)

// codeAt is the TOTP code of a time step, computed by the library the
// authenticator apps agree with.
func codeAt(t *testing.T, secret string, step int64) string {
	t.Helper()
	code, err := hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return code
}
