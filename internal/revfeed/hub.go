package revfeed

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/cache"
)

// Source is what the hub reads: an internal/cache.Directory.
type Source interface {
	Position() int64
	Changed() <-chan struct{}
	Revocations() *cache.RevocationRecords
	Environments() map[string]*cache.Environment
}

// Token is a revoked token.
type Token struct {
	ID        string `json:"jti"`
	ClientID  string `json:"client_id"`
	ExpiresAt int64  `json:"expires_at"`
}

// Credential is a revoked client or secret.
type Credential struct {
	ID        string `json:"id"` // the client id, or the secret id in decimal
	ClientID  string `json:"client_id"`
	RevokedAt int64  `json:"revoked_at"`
	ExpiresAt int64  `json:"expires_at"`
}

// Key is the state of a signing key: next, active or retired (published
// in the JWKS), revoked (withdrawn at once: every token it signed is
// invalid), or removed (no longer in the store, e.g. deleted after its
// retirement).
type Key struct {
	ID    string `json:"kid"`
	State string `json:"state"`
}

// KeyRemoved is the state of a key that is no longer in the store.
const KeyRemoved = "removed"

// Event is one message of an environment's feed. A snapshot lists every
// unexpired revocation and every published key; a delta lists what was
// added since the previous event and the keys whose state changed.
type Event struct {
	ID          int64        `json:"-"`
	Snapshot    bool         `json:"-"`
	Environment string       `json:"environment"`
	Tokens      []Token      `json:"tokens"`
	Clients     []Credential `json:"clients"`
	Secrets     []Credential `json:"secrets"`
	Keys        []Key        `json:"keys"`
}

// empty reports whether a delta carries nothing.
func (e *Event) empty() bool {
	return len(e.Tokens)+len(e.Clients)+len(e.Secrets)+len(e.Keys) == 0
}

// Config configures a Hub.
type Config struct {
	Source Source
	Now    func() time.Time
	// Retain is how many events per environment the hub keeps for resuming
	// followers (1024 if 0). A follower further behind gets a snapshot.
	Retain int
}

// Hub keeps the current revocation state of every environment and the
// recent deltas between states. It is safe for concurrent use.
type Hub struct {
	src    Source
	now    func() time.Time
	retain int

	mu      sync.Mutex
	pos     int64
	state   map[string]*envState
	logs    map[string]*envLog
	changed chan struct{}
	done    chan struct{}
	closed  bool
}

type envState struct {
	tokens  map[string]Token
	clients map[string]Credential
	secrets map[string]Credential
	keys    map[string]string
}

type envLog struct {
	events []Event
	// coverFrom is the oldest position a follower may resume from: the
	// events kept hold every delta after it.
	coverFrom int64
}

// New returns a hub holding the source's current state.
func New(cfg Config) *Hub {
	h := &Hub{
		src: cfg.Source, now: cfg.Now, retain: cfg.Retain,
		logs: map[string]*envLog{}, changed: make(chan struct{}), done: make(chan struct{}),
	}
	if h.now == nil {
		h.now = time.Now
	}
	if h.retain <= 0 {
		h.retain = 1024
	}
	h.pos = h.src.Position()
	h.state = h.read()
	for env := range h.state {
		h.logs[env] = &envLog{coverFrom: h.pos}
	}
	return h
}

// Run follows the source until ctx ends or Close is called.
func (h *Hub) Run(ctx context.Context) {
	for {
		ch := h.src.Changed()
		h.update()
		select {
		case <-ctx.Done():
			return
		case <-h.done:
			return
		case <-ch:
		}
	}
}

// Close ends Run and tells every follower's stream to end (at server
// shutdown).
func (h *Hub) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.done)
	}
}

// Done is closed when the hub is closed.
func (h *Hub) Done() <-chan struct{} { return h.done }

// read builds the state of every environment from the source. The position
// must have been read before.
func (h *Hub) read() map[string]*envState {
	now := h.now().Unix()
	out := map[string]*envState{}
	for name, env := range h.src.Environments() {
		st := &envState{tokens: map[string]Token{}, clients: map[string]Credential{}, secrets: map[string]Credential{}, keys: map[string]string{}}
		if env.Keys != nil {
			st.keys = env.Keys.States()
		}
		out[name] = st
	}
	rec := h.src.Revocations()
	for _, t := range rec.Tokens {
		if st := out[t.Environment]; st != nil && t.ExpiresAt.Unix() > now {
			st.tokens[t.ID] = Token{ID: t.ID, ClientID: t.ClientID, ExpiresAt: t.ExpiresAt.Unix()}
		}
	}
	for _, c := range rec.Credentials {
		st := out[c.Environment]
		if st == nil || c.ExpiresAt.Unix() <= now {
			continue
		}
		cr := Credential{ID: c.ID, ClientID: c.ClientID, RevokedAt: c.RevokedAt.Unix(), ExpiresAt: c.ExpiresAt.Unix()}
		switch c.Kind {
		case gatehouse.RevokedClient:
			st.clients[c.ID] = cr
		case gatehouse.RevokedSecret:
			st.secrets[c.ID] = cr
		}
	}
	return out
}

// update reads the source's state and records the deltas.
func (h *Hub) update() {
	pos := h.src.Position()
	next := h.read()
	h.mu.Lock()
	defer h.mu.Unlock()
	if pos == h.pos {
		h.state = next // expiries only: nothing to announce
		return
	}
	for name, st := range next {
		prev := h.state[name]
		log := h.logs[name]
		if log == nil {
			log = &envLog{coverFrom: h.pos}
			h.logs[name] = log
		}
		ev := delta(prev, st)
		if ev.empty() {
			continue
		}
		ev.ID, ev.Environment = pos, name
		log.events = append(log.events, ev)
		if over := len(log.events) - h.retain; over > 0 {
			log.coverFrom = log.events[over-1].ID
			log.events = slices.Clone(log.events[over:])
		}
	}
	h.pos, h.state = pos, next
	close(h.changed)
	h.changed = make(chan struct{})
}

// delta returns what cur has that prev had not, and the keys whose state
// changed. prev may be nil (a new environment).
func delta(prev, cur *envState) Event {
	if prev == nil {
		prev = &envState{}
	}
	var ev Event
	for id, t := range cur.tokens {
		if _, ok := prev.tokens[id]; !ok {
			ev.Tokens = append(ev.Tokens, t)
		}
	}
	for id, c := range cur.clients {
		if _, ok := prev.clients[id]; !ok {
			ev.Clients = append(ev.Clients, c)
		}
	}
	for id, c := range cur.secrets {
		if _, ok := prev.secrets[id]; !ok {
			ev.Secrets = append(ev.Secrets, c)
		}
	}
	for id, state := range cur.keys {
		if prev.keys[id] != state {
			ev.Keys = append(ev.Keys, Key{ID: id, State: state})
		}
	}
	for id := range prev.keys {
		if _, ok := cur.keys[id]; !ok {
			ev.Keys = append(ev.Keys, Key{ID: id, State: KeyRemoved})
		}
	}
	return ev
}

// Since returns the events of env after position cursor and a channel
// closed when more may be available. ok is false when the hub cannot tell
// what happened since cursor (too old, or an unknown environment): the
// follower needs a Snapshot.
func (h *Hub) Since(env string, cursor int64) (events []Event, wait <-chan struct{}, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	log := h.logs[env]
	if log == nil || cursor < log.coverFrom {
		return nil, h.changed, false
	}
	i, _ := slices.BinarySearchFunc(log.events, cursor+1, func(e Event, id int64) int {
		switch {
		case e.ID < id:
			return -1
		case e.ID > id:
			return 1
		}
		return 0
	})
	return slices.Clone(log.events[i:]), h.changed, true
}

// Snapshot returns every unexpired revocation and published key of env,
// with the hub's position as id, and a channel closed when more may be
// available. ok is false for an unknown environment.
func (h *Hub) Snapshot(env string) (ev Event, wait <-chan struct{}, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.state[env]
	if st == nil {
		return Event{}, h.changed, false
	}
	now := h.now().Unix()
	ev = Event{ID: h.pos, Snapshot: true, Environment: env,
		Tokens: []Token{}, Clients: []Credential{}, Secrets: []Credential{}, Keys: []Key{}}
	for _, t := range st.tokens {
		if t.ExpiresAt > now {
			ev.Tokens = append(ev.Tokens, t)
		}
	}
	for _, c := range st.clients {
		if c.ExpiresAt > now {
			ev.Clients = append(ev.Clients, c)
		}
	}
	for _, c := range st.secrets {
		if c.ExpiresAt > now {
			ev.Secrets = append(ev.Secrets, c)
		}
	}
	for id, state := range st.keys {
		ev.Keys = append(ev.Keys, Key{ID: id, State: state})
	}
	return ev, h.changed, true
}
