package manage

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/password"
)

func TestChangePassword(t *testing.T) {
	f := newFixture(t)
	dev := f.user(t, "dev@acme.example", "old-password-123", f.acme.ID, gatehouse.RoleDeveloper, false)
	other := f.user(t, "other@acme.example", "other-password-1", f.acme.ID, gatehouse.RoleDeveloper, false)
	for i, p := range []*gatehouse.Principal{dev, dev, other} {
		s := &gatehouse.Session{ID: fmt.Sprintf("s%d", i), UserID: p.UserID, CreatedAt: startTime, LastSeenAt: startTime, ExpiresAt: startTime.Add(time.Hour)}
		if err := f.store.CreateSession(f.ctx, s); err != nil {
			t.Fatal(err)
		}
	}

	t.Run("a wrong current password changes nothing", func(t *testing.T) {
		if _, err := f.service.ChangePassword(f.ctx, dev, "not-it", "new-password-456"); !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("error %v, want ErrWrongPassword", err)
		}
		if ok, _ := password.Verify("old-password-123", f.storedUser(t, dev).PasswordHash); !ok {
			t.Fatal("the old password no longer works")
		}
	})
	t.Run("a new password that breaks the rules is invalid", func(t *testing.T) {
		_, err := f.service.ChangePassword(f.ctx, dev, "old-password-123", "short")
		wantCode(t, "ChangePassword", err, gatehouse.EINVALID)
	})
	t.Run("an API client has no password to change", func(t *testing.T) {
		_, err := f.service.ChangePassword(f.ctx, apiWriter(), "x", "new-password-456")
		wantCode(t, "ChangePassword", err, gatehouse.EFORBIDDEN)
	})
	t.Run("the right current password sets an argon2id hash, ends the user's sessions and is audited", func(t *testing.T) {
		n, err := f.service.ChangePassword(f.ctx, dev, "old-password-123", "new-password-456")
		if err != nil {
			t.Fatal(err)
		}
		if n != 2 {
			t.Errorf("%d sessions ended, want the user's 2", n)
		}
		hash := f.storedUser(t, dev).PasswordHash
		if ok, _ := password.Verify("new-password-456", hash); !ok || hash[:10] != "$argon2id$" {
			t.Fatalf("the stored hash %.10s… does not verify the new password", hash)
		}
		if ok, _ := password.Verify("old-password-123", hash); ok {
			t.Fatal("the old password still works")
		}
		for _, id := range []string{"s0", "s1"} {
			if _, _, err := f.store.Session(f.ctx, id); !errors.Is(err, gatehouse.ErrNotFound) {
				t.Errorf("session %s: %v, want ended", id, err)
			}
		}
		if _, _, err := f.store.Session(f.ctx, "s2"); err != nil {
			t.Errorf("another user's session ended: %v", err)
		}
		events := f.audits(t, fmt.Sprintf("user:%d", dev.UserID))
		if len(events) != 1 || events[0].Action != ActionPasswordChange || events[0].Actor == "" {
			t.Fatalf("audit events %+v, want one %s", events, ActionPasswordChange)
		}
	})
}
