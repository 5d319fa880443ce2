package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func newRevocation(id string, expires time.Time) *gatehouse.RevokedToken {
	return &gatehouse.RevokedToken{
		ID:          id,
		Environment: gatehouse.EnvSandbox,
		ClientID:    "client-" + id,
		ExpiresAt:   expires,
		RevokedAt:   at(3 * time.Microsecond),
	}
}

func testRevocations(t *testing.T, newStore newStoreFunc) {
	ctx := context.Background()

	t.Run("revoked tokens are listed until they expire", func(t *testing.T) {
		s := newStore(t)
		t1 := newRevocation("jti-1", at(time.Hour+time.Microsecond))
		t2 := newRevocation("jti-2", at(2*time.Hour))
		for _, tok := range []*gatehouse.RevokedToken{t2, t1} {
			must(t, "RevokeToken "+tok.ID, s.RevokeToken(ctx, tok))
		}
		cases := []struct {
			name string
			now  time.Time
			want []*gatehouse.RevokedToken
		}{
			{"before both expire", at(0), []*gatehouse.RevokedToken{t1, t2}},
			{"a microsecond before the first expires", at(time.Hour), []*gatehouse.RevokedToken{t1, t2}},
			{"when the first expires", at(time.Hour + time.Microsecond), []*gatehouse.RevokedToken{t2}},
			{"after both expired", at(3 * time.Hour), nil},
		}
		for _, tc := range cases {
			got, err := s.RevokedTokens(ctx, tc.now)
			must(t, "RevokedTokens "+tc.name, err)
			if len(got) != len(tc.want) {
				t.Errorf("RevokedTokens %s: got %d tokens, want %d", tc.name, len(got), len(tc.want))
				continue
			}
			for i := range got {
				sameFields(t, "RevokedTokens "+tc.name, got[i], tc.want[i])
			}
		}
	})

	t.Run("revoking a token twice is not an error", func(t *testing.T) {
		s := newStore(t)
		tok := newRevocation("jti-1", at(time.Hour))
		must(t, "RevokeToken", s.RevokeToken(ctx, tok))
		again := newRevocation("jti-1", at(time.Hour))
		again.RevokedAt = at(time.Minute)
		must(t, "RevokeToken again", s.RevokeToken(ctx, again))
		got, err := s.RevokedTokens(ctx, at(0))
		must(t, "RevokedTokens", err)
		if len(got) != 1 {
			t.Fatalf("got %d revoked tokens, want 1", len(got))
		}
		sameFields(t, "the first revocation stands", got[0], tok)
	})

	t.Run("a zero revocation time is set to now", func(t *testing.T) {
		s := newStore(t)
		tok := newRevocation("jti-1", time.Now().Add(time.Hour))
		tok.RevokedAt = time.Time{}
		must(t, "RevokeToken", s.RevokeToken(ctx, tok))
		if tok.RevokedAt.IsZero() {
			t.Errorf("RevokedAt is still zero")
		}
	})

	t.Run("a revocation without an id or expiry is rejected", func(t *testing.T) {
		s := newStore(t)
		wantCode(t, "RevokeToken without an id", s.RevokeToken(ctx, newRevocation("", at(time.Hour))), gatehouse.EINVALID)
		wantCode(t, "RevokeToken without an expiry", s.RevokeToken(ctx, newRevocation("x", time.Time{})), gatehouse.EINVALID)
	})

	t.Run("expired revocations are deleted and others kept", func(t *testing.T) {
		s := newStore(t)
		for i, d := range []time.Duration{time.Hour, 2 * time.Hour, 3 * time.Hour} {
			must(t, "RevokeToken", s.RevokeToken(ctx, newRevocation(string(rune('a'+i)), at(d))))
		}
		must(t, "DeleteExpiredRevocations", s.DeleteExpiredRevocations(ctx, at(2*time.Hour+time.Microsecond)))
		got, err := s.RevokedTokens(ctx, time.Time{})
		must(t, "RevokedTokens", err)
		if len(got) != 1 || got[0].ID != "c" {
			t.Errorf("after deleting those expired by 2h: %d tokens left; want only c", len(got))
		}
		// Revoking an id again after its record was deleted works.
		must(t, "RevokeToken a", s.RevokeToken(ctx, newRevocation("a", at(4*time.Hour))))
	})
}
