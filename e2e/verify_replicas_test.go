package e2e

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
	"github.com/gatehouse-dev/gatehouse/verify"
)

// toReplica sends requests for the public URL's host to one replica's
// loopback address, as a load balancer would.
type toReplica struct{ addr string }

func (r toReplica) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host = "http", r.addr
	return http.DefaultTransport.RoundTrip(req)
}

// TestRevocationOnOneReplicaReachesVerifiersOfAnother revokes clients
// through replica a while a verifier follows replica b's feed, and resumes
// a feed read from a on b with a's event id.
func TestRevocationOnOneReplicaReachesVerifiersOfAnother(t *testing.T) {
	dsn := testenv.PostgresSchema(t)
	// Replicas share the database and the master key.
	cfg := app.Config{Database: dsn, PublicURL: "https://auth.example.com", MasterKey: base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))}
	a := startServer(t, cfg)
	b := startServer(t, cfg)
	rs := resourceClient(t, a)
	ctx := context.Background()
	// The resource client must be known to b before b's feed accepts it.
	eventually(t, time.Second, func() error {
		req, _ := http.NewRequest(http.MethodGet, b.URL+"/realms/sandbox/revocation-feed", nil)
		req.Header.Set("Authorization", basic(rs.ClientID, rs.ClientSecret))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			return errNotYet
		}
		return nil
	})
	v, err := verify.New(ctx, verify.Config{
		Issuer: "https://auth.example.com/realms/sandbox", Audience: ledgerAudience,
		ClientID: rs.ClientID, ClientSecret: rs.ClientSecret, FollowRevocations: true,
		WhenStale: verify.RefuseWhenStale, HTTPClient: &http.Client{Transport: toReplica{b.main.Addr()}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	var worst time.Duration
	const runs = 20
	for i := range runs {
		c := a.createClient(t, wire.CreateClientRequest{Name: "replica-run", Audiences: []string{ledgerAudience}})
		tok := ledgerToken(t, a.tokenURL("sandbox"), c)
		if _, err := v.Verify(ctx, tok); err != nil {
			t.Fatalf("run %d: fresh token refused: %v", i, err)
		}
		start := time.Now()
		if _, err := a.Admin.RevokeClient(ctx, c.ClientID); err != nil {
			t.Fatal(err)
		}
		for {
			if _, err := v.Verify(ctx, tok); err != nil {
				break
			}
			if time.Since(start) > 5*time.Second {
				t.Fatalf("run %d: still accepted after 5 s", i)
			}
			time.Sleep(time.Millisecond)
		}
		worst = max(worst, time.Since(start))
	}
	t.Logf("revoked on replica a, refused by a verifier following replica b: max %v over %d runs", worst, runs)
	if worst > time.Second {
		t.Fatalf("took %v (> 1 s)", worst)
	}

	t.Run("an event id of replica a resumes the feed on replica b", func(t *testing.T) {
		fa := openFeed(t, a.URL+"/realms/sandbox/revocation-feed", rs, "")
		_, id, _ := fa.next(t)
		fa.close()
		victim := a.createClient(t, wire.CreateClientRequest{Name: "victim"})
		if _, err := a.Admin.RevokeClient(ctx, victim.ClientID); err != nil {
			t.Fatal(err)
		}
		fb := openFeed(t, b.URL+"/realms/sandbox/revocation-feed", rs, id)
		defer fb.close()
		kind, _, data := fb.next(t)
		if kind != "revocations" || !strings.Contains(data, victim.ClientID) {
			t.Fatalf("b resumed from a's id %s with %s %s", id, kind, data)
		}
	})
}
