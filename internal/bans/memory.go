package bans

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Memory is a ban list of one process. Bans are rare and checks happen on
// every token request, so checks read an immutable map through an atomic
// pointer (no lock) and changes copy it.
type Memory struct {
	now  func() time.Time
	mu   sync.Mutex // serialises writers
	bans atomic.Pointer[map[string]Ban]
}

var _ List = (*Memory)(nil)

// NewMemory returns an empty ban list reading the time from now (time.Now
// if nil).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	m := &Memory{now: now}
	m.bans.Store(&map[string]Ban{})
	return m
}

// Add bans b.Subject until b.ExpiresAt.
func (m *Memory) Add(_ context.Context, b Ban) error {
	m.update(func(bans map[string]Ban) { bans[b.Subject] = b })
	return nil
}

// Check returns the active ban of ip's subject, or nil. It does not
// allocate while no ban is in force.
func (m *Memory) Check(_ context.Context, ip netip.Addr) (*Ban, error) {
	bans := *m.bans.Load()
	if len(bans) == 0 {
		return nil, nil
	}
	b, ok := bans[SubjectOf(ip)]
	if !ok || !b.Active(m.now()) {
		return nil, nil
	}
	return &b, nil
}

// Bans returns the active bans, by subject.
func (m *Memory) Bans(_ context.Context) ([]Ban, error) {
	now := m.now()
	var list []Ban
	for _, b := range *m.bans.Load() {
		if b.Active(now) {
			list = append(list, b)
		}
	}
	slices.SortFunc(list, func(a, b Ban) int { return strings.Compare(a.Subject, b.Subject) })
	return list, nil
}

// Lift removes the ban of subject.
func (m *Memory) Lift(_ context.Context, subject string) (bool, error) {
	found := false
	m.update(func(bans map[string]Ban) {
		b, ok := bans[subject]
		found = ok && b.Active(m.now())
		delete(bans, subject)
	})
	return found, nil
}

// replace makes list the bans.
func (m *Memory) replace(list []Ban) {
	m.update(func(bans map[string]Ban) {
		clear(bans)
		for _, b := range list {
			bans[b.Subject] = b
		}
	})
}

// update applies change to a copy of the bans without the expired ones and
// publishes it.
func (m *Memory) update(change func(map[string]Ban)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	old := *m.bans.Load()
	next := make(map[string]Ban, len(old)+1)
	for k, b := range old {
		if b.Active(now) {
			next[k] = b
		}
	}
	change(next)
	m.bans.Store(&next)
}

// Len returns how many bans the list holds, ended ones included until the
// next change.
func (m *Memory) Len() int { return len(*m.bans.Load()) }
