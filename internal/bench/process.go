package bench

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// clockTicks is USER_HZ, the unit of CPU times in /proc/PID/stat; it is 100
// on every Linux architecture Go supports.
const clockTicks = 100

// ProcessUsage is a process's CPU time and memory, read from /proc.
type ProcessUsage struct {
	CPU          time.Duration // user + system
	Cores        float64       // CPU / wall time, set by Since
	RSSBytes     int64
	PeakRSSBytes int64
}

// ReadProcessUsage reads /proc/PID/stat and /proc/PID/status (Linux only).
func ReadProcessUsage(pid int) (*ProcessUsage, error) {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, fmt.Errorf("read server process: %w", err)
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the whole line.
	s := string(stat)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return nil, fmt.Errorf("unexpected /proc/%d/stat", pid)
	}
	utime, _ := strconv.ParseInt(fields[11], 10, 64)
	stime, _ := strconv.ParseInt(fields[12], 10, 64)
	u := &ProcessUsage{CPU: time.Duration(utime+stime) * time.Second / clockTicks}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return nil, fmt.Errorf("read server process: %w", err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		switch k {
		case "VmRSS":
			u.RSSBytes = kb << 10
		case "VmHWM":
			u.PeakRSSBytes = kb << 10
		}
	}
	return u, nil
}

// Since returns the usage between before and u over a wall time.
func (u *ProcessUsage) Since(before *ProcessUsage, wall time.Duration) *ProcessUsage {
	cpu := u.CPU - before.CPU
	return &ProcessUsage{CPU: cpu, Cores: cpu.Seconds() / wall.Seconds(), RSSBytes: u.RSSBytes, PeakRSSBytes: u.PeakRSSBytes}
}
