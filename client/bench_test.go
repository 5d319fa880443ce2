package client_test

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/client"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// BenchmarkCachedToken measures Token on a cached token from parallel
// callers: the client package's TokenSource next to x/oauth2's
// clientcredentials source (a ReuseTokenSource), both against the same
// httptest token endpoint, which each asks once.
func BenchmarkCachedToken(b *testing.B) {
	srv := newTokenServer(b, 3600)
	ours := newSource(b, srv, nil, nil, func(c *client.Config) { c.Now = time.Now })
	theirs := (&clientcredentials.Config{ClientID: "id", ClientSecret: "secret", TokenURL: srv.URL}).TokenSource(b.Context())
	for _, bc := range []struct {
		name string
		src  oauth2.TokenSource
	}{{"client", ours}, {"x-oauth2", theirs}} {
		b.Run(bc.name, func(b *testing.B) {
			if _, err := bc.src.Token(); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := bc.src.Token(); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
	if n := srv.requests.Load(); n != 2 {
		b.Fatalf("%d token requests, want one per source", n)
	}
}
