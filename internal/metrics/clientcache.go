package metrics

import "github.com/prometheus/client_golang/prometheus"

// ClientCache is the state of a replica's cache of clients, read at every
// scrape.
type ClientCache struct {
	Entries, Capacity int
	Evictions         uint64
	// Store reads of lookups of clients not in memory, by result.
	ReadsFound, ReadsAbsent, ReadsFailed uint64
	// Lookups of unknown ids answered without a store read: by the filter
	// of stored ids, by the cache of absent ids.
	Filtered, KnownAbsent uint64
}

// Results of a store read of a client (the result label of
// gatehouse_client_store_reads_total).
const (
	ReadFound  = "found"
	ReadAbsent = "absent"
	ReadFailed = "error"
)

var (
	clientCacheEntries = prometheus.NewDesc("gatehouse_client_cache_entries",
		"Clients held in memory.", nil, nil)
	clientCacheCapacity = prometheus.NewDesc("gatehouse_client_cache_capacity",
		"The most clients held in memory (client_cache_size).", nil, nil)
	clientCacheEvictions = prometheus.NewDesc("gatehouse_client_cache_evictions_total",
		"Clients dropped from memory to make room for another.", nil, nil)
	clientStoreReads = prometheus.NewDesc("gatehouse_client_store_reads_total",
		"Store reads for requests naming a client not in memory, by result: found, absent (no such client), error.",
		[]string{"result"}, nil)
	clientUnknownIDs = prometheus.NewDesc("gatehouse_client_unknown_ids_total",
		"Lookups of unknown client ids answered without a store read (a request looks its client up once or more), by what answered: filter (of stored ids), absent_cache (ids recently not found).",
		[]string{"answered_by"}, nil)
)

// clientCacheCollector reads a ClientCache at every scrape.
type clientCacheCollector struct{ read func() ClientCache }

func (c clientCacheCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{clientCacheEntries, clientCacheCapacity, clientCacheEvictions, clientStoreReads, clientUnknownIDs} {
		ch <- d
	}
}

func (c clientCacheCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.read()
	ch <- prometheus.MustNewConstMetric(clientCacheEntries, prometheus.GaugeValue, float64(s.Entries))
	ch <- prometheus.MustNewConstMetric(clientCacheCapacity, prometheus.GaugeValue, float64(s.Capacity))
	ch <- prometheus.MustNewConstMetric(clientCacheEvictions, prometheus.CounterValue, float64(s.Evictions))
	ch <- prometheus.MustNewConstMetric(clientStoreReads, prometheus.CounterValue, float64(s.ReadsFound), ReadFound)
	ch <- prometheus.MustNewConstMetric(clientStoreReads, prometheus.CounterValue, float64(s.ReadsAbsent), ReadAbsent)
	ch <- prometheus.MustNewConstMetric(clientStoreReads, prometheus.CounterValue, float64(s.ReadsFailed), ReadFailed)
	ch <- prometheus.MustNewConstMetric(clientUnknownIDs, prometheus.CounterValue, float64(s.Filtered), "filter")
	ch <- prometheus.MustNewConstMetric(clientUnknownIDs, prometheus.CounterValue, float64(s.KnownAbsent), "absent_cache")
}

// RegisterClientCache registers the metrics of the cache of clients on reg,
// read from read at every scrape.
func RegisterClientCache(reg prometheus.Registerer, read func() ClientCache) {
	reg.MustRegister(clientCacheCollector{read})
}
