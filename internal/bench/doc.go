// Package bench is the load generator behind `gatehouse bench`: it sends
// client-credentials token requests to a running server from many
// keep-alive connections for a fixed time and reports tokens/s, latency
// percentiles and errors, and, given the server's process id on the same
// machine, the server's CPU time and memory.
//
// It speaks only HTTP to the server; it must not import other internal
// packages.
package bench
