// Package app wires Gatehouse together: it turns a Config into a running
// server (storage, migrations, first-start bootstrap, the in-memory
// credential cache and its watcher, the issuing core, the HTTP surfaces) and
// stops it gracefully. cmd/gatehouse and the end-to-end tests both start the
// server through Main.
//
// It is the only package that knows every other one; nothing imports it but
// internal/cli and tests.
package app
