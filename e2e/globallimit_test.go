package e2e

import (
	"context"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
	"github.com/gatehouse-dev/gatehouse/internal/app"
	"github.com/gatehouse-dev/gatehouse/internal/bench"
	"github.com/gatehouse-dev/gatehouse/internal/testenv"
)

// TestThreeReplicasHoldOneClientLimit hammers one client through three
// replicas sharing PostgreSQL and Redis, round robin from 16 connections,
// and counts what they admitted together against the limit's allowance:
// its burst plus its rate over the measured run. The rate is low, so that
// even a loaded machine offers far more requests than the limit admits,
// and the allowance comes from the measured time, not from the planned.
func TestThreeReplicasHoldOneClientLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("an 8-second load through three replicas")
	}
	cfg := app.Config{Database: testenv.PostgresSchema(t), Redis: redisURL(t), PublicURL: "https://auth.example.com"}
	cfg.Protection.RedisPrefix = randomRedisPrefix()
	// The load comes from 127.0.0.1: no per-address limit and no ban for
	// ignoring Retry-After, so that only the client's limit counts.
	cfg.Protection.ExemptNetworks = []string{"127.0.0.1/32"}
	const perSecond, burst = 20, 20
	a := startServer(t, cfg)
	setLimits(t, a, "sandbox", wire.RateLimits{ClientPerMinute: perSecond * 60, ClientBurst: burst})
	c := a.createClient(t, wire.CreateClientRequest{})
	replicas := []*server{a, startServer(t, cfg), startServer(t, cfg)}
	var urls []string
	for _, s := range replicas {
		s.AdminKey, s.Admin = a.AdminKey, adminclient.New(s.URL, a.AdminKey, nil)
		urls = append(urls, s.tokenURL("sandbox"))
	}

	res, err := bench.Run(context.Background(), bench.Config{
		TokenURLs: urls, ClientID: c.ClientID, ClientSecret: c.ClientSecret, Concurrency: 16, Duration: 8 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	allowance := burst + perSecond*res.Elapsed.Seconds()
	t.Logf("%d requests in %v: %d admitted (allowance %.1f, %+.1f%%), %v refused; by replica %v",
		res.Requests, res.Elapsed.Round(time.Millisecond), res.Successes, allowance,
		100*(float64(res.Successes)-allowance)/allowance, res.Errors, res.ByTarget)
	if len(res.Errors) != 1 || res.Errors["429"] < 2*res.Successes {
		t.Fatalf("answers other than 200 and 429, or too few refusals to have held the limit: %v", res.Errors)
	}
	if got := float64(res.Successes); got < 0.95*allowance || got > 1.05*allowance {
		t.Fatalf("three replicas admitted %d requests of one client; the limit allows %.1f in %v, want within 5%%",
			res.Successes, allowance, res.Elapsed)
	}
	for i, u := range urls {
		if res.ByTarget[u]["200"] == 0 {
			t.Errorf("replica %d admitted nothing: %v", i, res.ByTarget[u])
		}
	}
	// The replicas' own counts agree with what the load saw (the end of
	// the run may cut off a request or two after the server answered).
	served := 0.0
	for _, s := range replicas {
		served += metric(t, s, `gatehouse_token_requests_total{dialect="standard",environment="sandbox",outcome="success"}`)
	}
	if served < float64(res.Successes) || served > float64(res.Successes+16) {
		t.Fatalf("the replicas counted %v successes, the load %d", served, res.Successes)
	}
}
