//go:build unix

package app

import "syscall"

// openFileLimit returns the process's soft limit on open files (which Go
// raises to the hard limit at start).
func openFileLimit() (int, bool) {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil || l.Cur == 0 || l.Cur > 1<<30 {
		return 0, false
	}
	return int(l.Cur), true
}
