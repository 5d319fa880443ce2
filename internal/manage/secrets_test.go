package manage

import (
	"slices"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func TestRotateSecretsKeepsAtMostMaxSecrets(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	old := []gatehouse.Secret{
		{ID: 1, CreatedAt: now.Add(-3 * time.Hour), ExpiresAt: now.Add(-time.Hour)}, // expired
		{ID: 2, CreatedAt: now.Add(-2 * time.Hour), ExpiresAt: now.Add(time.Hour)},  // in grace
		{ID: 3, CreatedAt: now.Add(-1 * time.Hour)},                                 // current
	}
	fresh := gatehouse.Secret{CreatedAt: now}
	tests := []struct {
		name    string
		grace   time.Duration
		wantIDs []int64
		expiry  time.Time
	}{
		{"no grace keeps only the fresh secret", 0, []int64{0}, time.Time{}},
		{"a grace keeps the current secret until it ends", time.Minute, []int64{3, 0}, now.Add(time.Minute)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rotateSecrets(slices.Clone(old), fresh, now, tt.grace)
			var ids []int64
			for _, s := range got {
				ids = append(ids, s.ID)
			}
			if !slices.Equal(ids, tt.wantIDs) {
				t.Fatalf("ids %v, want %v", ids, tt.wantIDs)
			}
			if len(got) == 2 && !got[0].ExpiresAt.Equal(tt.expiry) {
				t.Errorf("kept secret expires %v, want %v", got[0].ExpiresAt, tt.expiry)
			}
		})
	}
	t.Run("a grace never lengthens a shorter expiry", func(t *testing.T) {
		in := []gatehouse.Secret{{ID: 2, CreatedAt: now.Add(-time.Hour), ExpiresAt: now.Add(time.Minute)}}
		got := rotateSecrets(in, fresh, now, time.Hour)
		if !got[0].ExpiresAt.Equal(now.Add(time.Minute)) {
			t.Errorf("expiry %v", got[0].ExpiresAt)
		}
	})
}
