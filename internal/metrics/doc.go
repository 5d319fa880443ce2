// Package metrics defines Gatehouse's Prometheus metrics. Every metric is
// registered on a registry the caller passes in (never the global default),
// so that tests and several servers in one process do not collide.
//
// It must not import database/sql or other internal packages.
package metrics
