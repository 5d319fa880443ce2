// Package bench is the load generator behind `gatehouse bench`: it sends
// client-credentials token requests to a running server from many
// keep-alive connections for a fixed time and reports tokens/s, latency
// percentiles and errors, and, given the server's process id on the same
// machine, the server's CPU time and memory.
//
// RunSoak (`gatehouse bench soak`) is the long-running counterpart: an open
// loop at a fixed rate with a mix of token, reuse, introspection,
// revocation and admin-write requests (mix.go), the servers' /metrics
// sampled for memory, goroutines and open files (scrape.go), a report per
// interval, and a verdict on errors and on growth after warm-up
// (verdict.go).
//
// It speaks only HTTP to the server; it must not import other internal
// packages.
package bench
