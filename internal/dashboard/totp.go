package dashboard

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"

	"github.com/gatehouse-dev/gatehouse"
)

// TOTP parameters (RFC 6238): what every authenticator app defaults to.
const (
	totpPeriod    = 30 // seconds
	totpDigits    = otp.DigitsSix
	totpSkewSteps = 1 // a code of the step before or after is accepted too
	sealPurpose   = "dashboard totp secret"
	recoveryCodes = 10
)

// newTOTPKey generates a TOTP secret for u (160 bits, as RFC 4226
// recommends) with the otpauth:// URI apps read from the QR code.
func (d *Dashboard) newTOTPKey(u *gatehouse.User, issuer string) (*otp.Key, error) {
	return totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: u.Email, Period: totpPeriod, SecretSize: 20,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1, Rand: d.rand,
	})
}

// sealSecret encrypts a TOTP secret (base32) for u under the master key.
func (d *Dashboard) sealSecret(userID int64, secret string) ([]byte, error) {
	return d.cfg.Sealer.Seal(d.rand, sealPurpose, []byte(secret), userAAD(userID))
}

func (d *Dashboard) openSecret(f *gatehouse.SecondFactor) (string, error) {
	b, err := d.cfg.Sealer.Open(sealPurpose, f.Secret, userAAD(f.UserID))
	if err != nil {
		return "", fmt.Errorf("open TOTP secret of user %d: %w", f.UserID, err)
	}
	return string(b), nil
}

func userAAD(id int64) []byte { return []byte("user " + strconv.FormatInt(id, 10)) }

// matchTOTP returns the time step whose code is code, looking one step
// either side of now, and whether there is one.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.TrimSpace(code)
	if len(code) != totpDigits.Length() {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	found, match := int64(0), false
	for s := step - totpSkewSteps; s <= step+totpSkewSteps; s++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(s), hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 {
			found, match = s, true
		}
	}
	return found, match
}

// hasSecondFactor reports whether the user must enter a code to sign in.
func (d *Dashboard) hasSecondFactor(ctx context.Context, userID int64) (bool, error) {
	f, err := d.store.SecondFactor(ctx, userID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	return f.Confirmed, nil
}

// checkSecondFactor checks a TOTP code or a recovery code of a user with a
// confirmed second factor. Each is accepted once.
func (d *Dashboard) checkSecondFactor(ctx context.Context, userID int64, code string) (bool, error) {
	f, err := d.store.SecondFactor(ctx, userID)
	if errors.Is(err, gatehouse.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	if !f.Confirmed {
		return false, nil
	}
	if c := strings.TrimSpace(code); len(c) == totpDigits.Length() {
		secret, err := d.openSecret(f)
		if err != nil {
			return false, err
		}
		step, ok := matchTOTP(secret, c, d.now())
		if !ok {
			return false, nil
		}
		return d.store.UseTOTPStep(ctx, userID, step)
	}
	norm := normalizeRecoveryCode(code)
	if len(norm) != 16 {
		return false, nil
	}
	return d.store.UseRecoveryCode(ctx, userID, hashRecoveryCode(norm), d.now())
}

// newRecoveryCodes returns recoveryCodes codes of 80 random bits, shown as
// four groups of four base32 characters, and their hashes.
func (d *Dashboard) newRecoveryCodes() (codes, hashes []string, err error) {
	for range recoveryCodes {
		b := make([]byte, 10)
		if _, err := io.ReadFull(d.rand, b); err != nil {
			return nil, nil, fmt.Errorf("read random recovery code: %w", err)
		}
		s := base32.StdEncoding.EncodeToString(b) // 16 characters
		codes = append(codes, s[0:4]+"-"+s[4:8]+"-"+s[8:12]+"-"+s[12:16])
		hashes = append(hashes, hashRecoveryCode(s))
	}
	return codes, hashes, nil
}

// normalizeRecoveryCode accepts a code typed with spaces, dashes or in
// lower case.
func normalizeRecoveryCode(s string) string {
	s = strings.ToUpper(s)
	return strings.Map(func(r rune) rune {
		if r == '-' || r == ' ' {
			return -1
		}
		return r
	}, s)
}

// hashRecoveryCode is what the store keeps of a recovery code: codes carry
// 80 random bits, so a fast hash suffices.
func hashRecoveryCode(norm string) string {
	sum := sha256.Sum256([]byte("gatehouse recovery code\x00" + norm))
	return hex.EncodeToString(sum[:])
}
