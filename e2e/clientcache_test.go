package e2e

import (
	"testing"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

func TestMetricsCountTheStoreReadsOfClientsNotInMemory(t *testing.T) {
	s := startServer(t, app.Config{})
	c := s.createClient(t, wire.CreateClientRequest{})
	sample := func(name string) float64 { return metric(t, s, name) }
	const (
		found       = `gatehouse_client_store_reads_total{result="found"}`
		absent      = `gatehouse_client_store_reads_total{result="absent"}`
		failed      = `gatehouse_client_store_reads_total{result="error"}`
		filtered    = `gatehouse_client_unknown_ids_total{answered_by="filter"}`
		knownAbsent = `gatehouse_client_unknown_ids_total{answered_by="absent_cache"}`
		entries     = `gatehouse_client_cache_entries`
	)
	// The admin client of the admin API calls above is in memory already.
	foundBefore, entriesBefore := sample(found), sample(entries)
	for i := range 3 {
		if got := requestToken(t, s, "sandbox", c.ClientID, c.ClientSecret, ""); got.status != 200 {
			t.Fatalf("request %d: %+v", i, got)
		}
	}
	if n := sample(found) - foundBefore; n != 1 {
		t.Errorf("three requests of one client read it %v times, want once", n)
	}
	if n := sample(entries) - entriesBefore; n != 1 {
		t.Errorf("the client's requests added %v clients to memory, want 1", n)
	}

	absentBefore, spareBefore := sample(absent), sample(filtered)+sample(knownAbsent)
	const unknown = "NoSuchClientId000000"
	for i := range 3 {
		if got := requestToken(t, s, "sandbox", unknown, "wrong", ""); got.status != 401 {
			t.Fatalf("unknown client, request %d: %+v", i, got)
		}
	}
	// The unknown id is answered by the filter of stored ids once its scan
	// has run after start; before, by one store read and then by the cache
	// of absent ids. A request may look its client up more than once.
	reads, spared := sample(absent)-absentBefore, sample(filtered)+sample(knownAbsent)-spareBefore
	if reads > 1 || spared < 2 {
		t.Errorf("three requests of an unknown id: %v store reads, %v lookups answered from memory; want at most 1 read", reads, spared)
	}
	if n := sample(failed); n != 0 {
		t.Errorf("%v failed reads", n)
	}
	if n := sample(`gatehouse_client_cache_capacity`); n < 50_000 {
		t.Errorf("cache capacity %v, want the default size at least", n)
	}
}
