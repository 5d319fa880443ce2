//go:build !unix

package app

// openFileLimit is unknown on this system.
func openFileLimit() (int, bool) { return 0, false }
