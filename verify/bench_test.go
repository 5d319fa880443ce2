package verify

import (
	"context"
	"crypto/ecdsa"
	"crypto/sha256"
	"encoding/base64"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkVerifyES256 is Verify of an ES256 token with a warm key cache
// and no verified-token cache: everything a resource server does for a
// token it has not seen before.
func BenchmarkVerifyES256(b *testing.B) {
	v, tok := benchSetup(b, -1)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareECDSAVerify is the floor: crypto/ecdsa.Verify of the same
// signature over the same signing input (hashing included, r and s
// already decoded).
func BenchmarkBareECDSAVerify(b *testing.B) {
	v, tok := benchSetup(b, -1)
	pub := v.keys.set.Load().byKid["key-1"].ec
	i := strings.LastIndexByte(tok, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
	r, s := bigInts(sig)
	input := []byte(tok[:i])
	b.ReportAllocs()
	for b.Loop() {
		d := sha256.Sum256(input)
		if !ecdsa.Verify(pub, d[:], r, s) {
			b.Fatal("signature does not verify")
		}
	}
}

// BenchmarkVerifyES256Repeated is Verify of a token seen before (the
// common case: a client sends its token until it expires), answered from
// the verified-token cache with expiry and revocations still checked.
func BenchmarkVerifyES256Repeated(b *testing.B) {
	v, tok := benchSetup(b, 0)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func benchSetup(b *testing.B, tokenCache int) (*Verifier, string) {
	b.Helper()
	ti := newTestIssuer(b)
	now := time.Now()
	v, err := New(context.Background(), Config{Issuer: ti.issuerID, Audience: "https://api.example.com", TokenCacheSize: tokenCache})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { v.Close() })
	tok := ti.sign(b, nil, ti.claims(now.Unix()))
	if _, err := v.Verify(context.Background(), tok); err != nil { // warm the header cache
		b.Fatal(err)
	}
	return v, tok
}

// BenchmarkVerifyOverBareECDSA runs Verify and the bare verification of
// the same token alternately in one loop, so that both meet the same load
// on a shared machine, and reports the ratio of their median times (robust
// to preemptions, which land in one call or the other) and of their means.
func BenchmarkVerifyOverBareECDSA(b *testing.B) {
	v, tok := benchSetup(b, -1)
	ctx := context.Background()
	pub := v.keys.set.Load().byKid["key-1"].ec
	i := strings.LastIndexByte(tok, '.')
	sig, _ := base64.RawURLEncoding.DecodeString(tok[i+1:])
	r, s := bigInts(sig)
	input := []byte(tok[:i])
	var inVerify, inBare []time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := v.Verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		d := sha256.Sum256(input)
		if !ecdsa.Verify(pub, d[:], r, s) {
			b.Fatal("signature does not verify")
		}
		t2 := time.Now()
		inVerify = append(inVerify, t1.Sub(t0))
		inBare = append(inBare, t2.Sub(t1))
	}
	mv, mb := median(inVerify), median(inBare)
	b.ReportMetric(float64(mv.Nanoseconds()), "verify-median-ns")
	b.ReportMetric(float64(mb.Nanoseconds()), "bare-median-ns")
	b.ReportMetric(float64(mv)/float64(mb), "median-ratio")
	b.ReportMetric(float64(sum(inVerify))/float64(sum(inBare)), "mean-ratio")
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}

func sum(d []time.Duration) (t time.Duration) {
	for _, x := range d {
		t += x
	}
	return t
}
