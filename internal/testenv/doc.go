// Package testenv gives tests what several packages' tests need: a fresh
// PostgreSQL schema (GATEHOUSE_TEST_POSTGRES), a Redis client
// (GATEHOUSE_TEST_REDIS) — each skipping the test with the variable's name
// when it is unset — a log buffer safe for concurrent writes, a Clock that
// tests move by hand, and a TCP
// Proxy in front of those shared servers that fault tests take down or
// stall (the shared servers themselves are never stopped).
//
// Only _test.go files may import it; it must not import other packages of
// the module.
package testenv
