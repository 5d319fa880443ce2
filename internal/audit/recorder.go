package audit

import (
	"context"
	"hash/maphash"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// Store is what a Recorder writes to.
type Store interface {
	AppendAuditBatch(ctx context.Context, events []*gatehouse.AuditEvent) error
	AddClientUsage(ctx context.Context, usage []gatehouse.ClientUsage) error
	DeleteAuditBefore(ctx context.Context, before time.Time) (int64, error)
	DeleteDailyUsageBefore(ctx context.Context, before time.Time) (int64, error)
}

// Config configures a Recorder. Zero fields get the defaults in brackets.
type Config struct {
	Store Store // required
	// QueueSize bounds the events waiting to be written [4096].
	QueueSize int
	// BatchSize is the most events written in one transaction [256].
	BatchSize int
	// FlushInterval is the longest an event waits before it is written [1s].
	FlushInterval time.Duration
	// UsageInterval is how often usage counters are written [10s].
	UsageInterval time.Duration
	// Retention is how long events, and the per-day usage counts of days
	// that ended that long ago, are kept; 0 keeps them forever.
	Retention time.Duration
	// PruneInterval is how often old events are pruned [1h].
	PruneInterval time.Duration
	// OnDrop is called for every event dropped because the queue was full
	// (for a metric); may be nil.
	OnDrop func()
	// RetryBackoff is the wait after a failed write before the next try,
	// doubled after each failure up to MaxRetryBackoff [1s, 30s].
	RetryBackoff    time.Duration
	MaxRetryBackoff time.Duration
	// WriteAttempts is how often a batch of events is tried before it is
	// dropped [8: about a minute and a half of outage with the defaults].
	// Usage counts are never dropped while the server runs.
	WriteAttempts int
	// FinalFlushTimeout bounds the retries of the last writes when Run
	// stops [10s]; what is still unwritten then is dropped.
	FinalFlushTimeout time.Duration
	// OnWriteDrop is called with what was finally dropped after failed
	// writes: kind "events" (n events) or "usage" (n token requests); may
	// be nil.
	OnWriteDrop func(kind string, n int)
	Now         func() time.Time
	Logger      *slog.Logger
}

// usageShards is the number of independently locked parts of the usage
// counters.
const usageShards = 32

// Recorder writes audit events and usage counters in batches. Record and
// ClientUsed never block and never touch the store; Run does the writing.
type Recorder struct {
	cfg     Config
	events  chan *gatehouse.AuditEvent
	dropped atomic.Int64
	seed    maphash.Seed
	usage   [usageShards]usageShard
	flushed chan struct{} // closed when Run has written everything and returned
	started atomic.Bool
}

type usageShard struct {
	mu      sync.Mutex
	clients map[string]*dayCount
	// ended holds the counts of days that ended since the last write, so
	// that a write spanning midnight credits each day with its own tokens.
	ended []gatehouse.ClientUsage
}

// dayCount is a client's usage on one UTC day.
type dayCount struct {
	gatehouse.ClientUsage
	day int64
}

// dayOf numbers the UTC day of t (days since 1970-01-01). It is cheap on
// purpose: it runs once per token.
func dayOf(t time.Time) int64 {
	sec := t.Unix()
	day := sec / 86400
	if sec < 0 && sec%86400 != 0 {
		day--
	}
	return day
}

// New returns a Recorder; start it with Run.
func New(cfg Config) *Recorder {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 4096
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 256
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = time.Second
	}
	if cfg.UsageInterval <= 0 {
		cfg.UsageInterval = 10 * time.Second
	}
	if cfg.RetryBackoff <= 0 {
		cfg.RetryBackoff = time.Second
	}
	if cfg.MaxRetryBackoff <= 0 {
		cfg.MaxRetryBackoff = 30 * time.Second
	}
	if cfg.WriteAttempts <= 0 {
		cfg.WriteAttempts = 8
	}
	if cfg.FinalFlushTimeout <= 0 {
		cfg.FinalFlushTimeout = 10 * time.Second
	}
	if cfg.PruneInterval <= 0 {
		cfg.PruneInterval = time.Hour
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	r := &Recorder{cfg: cfg, events: make(chan *gatehouse.AuditEvent, cfg.QueueSize), seed: maphash.MakeSeed(), flushed: make(chan struct{})}
	for i := range r.usage {
		r.usage[i].clients = map[string]*dayCount{}
	}
	return r
}

// Record queues e to be written. A zero e.Time is set to now. If the queue
// is full, e is dropped and counted (Dropped) so that a flood of failed
// requests cannot stall the endpoint or the database.
func (r *Recorder) Record(e *gatehouse.AuditEvent) {
	if e.Time.IsZero() {
		e.Time = r.cfg.Now()
	}
	select {
	case r.events <- e:
	default:
		r.dropped.Add(1)
		if r.cfg.OnDrop != nil {
			r.cfg.OnDrop()
		}
	}
}

// Dropped returns how many events were dropped because the queue was full.
func (r *Recorder) Dropped() int64 { return r.dropped.Load() }

// ClientUsed counts one successful token request of a client of an
// account at now.
func (r *Recorder) ClientUsed(clientID, env string, accountID int64, now time.Time) {
	s := &r.usage[maphash.String(r.seed, clientID)%usageShards]
	day := dayOf(now)
	s.mu.Lock()
	u := s.clients[clientID]
	switch {
	case u == nil:
		u = &dayCount{ClientUsage: gatehouse.ClientUsage{ClientID: clientID, Environment: env, AccountID: accountID}, day: day}
		s.clients[clientID] = u
	case day > u.day: // midnight passed: the day's count is complete
		s.ended = append(s.ended, u.ClientUsage)
		u.Tokens, u.LastUsedAt, u.day = 0, time.Time{}, day
	}
	u.Tokens++
	if now.After(u.LastUsedAt) {
		u.LastUsedAt = now
	}
	s.mu.Unlock()
}

// writeTimeout bounds one write to the store.
const writeTimeout = 10 * time.Second

// pendingEvents is the batch being gathered or retried.
type pendingEvents struct {
	batch    []*gatehouse.AuditEvent
	attempts int       // failed writes of this batch
	retryAt  time.Time // zero: write when due
}

// backoff returns the wait after the n-th failed attempt (n >= 1).
func (r *Recorder) backoff(n int) time.Duration {
	d := r.cfg.RetryBackoff
	for i := 1; i < n && d < r.cfg.MaxRetryBackoff; i++ {
		d *= 2
	}
	return min(d, r.cfg.MaxRetryBackoff)
}

// Run writes queued events and usage counters until ctx ends, then writes
// what is left (retrying for up to FinalFlushTimeout) and returns. A failed
// write of events is retried with backoff, WriteAttempts times, while new
// events wait in the queue; a failed write of usage is carried into the
// next. Writes get their own deadline rather than ctx, so that stopping
// does not cut a write short.
func (r *Recorder) Run(ctx context.Context) {
	r.started.Store(true)
	defer close(r.flushed)
	flush := time.NewTicker(r.cfg.FlushInterval)
	defer flush.Stop()
	usage := time.NewTicker(r.cfg.UsageInterval)
	defer usage.Stop()
	prune := time.NewTicker(r.cfg.PruneInterval)
	defer prune.Stop()
	if r.cfg.Retention > 0 {
		r.prune()
	}
	p := &pendingEvents{batch: make([]*gatehouse.AuditEvent, 0, r.cfg.BatchSize)}
	for {
		events := r.events
		if len(p.batch) >= r.cfg.BatchSize {
			events = nil // full batch waiting for a retry: new events wait in the queue
		}
		select {
		case e := <-events:
			p.batch = append(p.batch, e)
			if len(p.batch) >= r.cfg.BatchSize && p.retryAt.IsZero() {
				r.writeEvents(p)
			}
		case <-flush.C:
			if !time.Now().Before(p.retryAt) { // retries follow the wall clock, like the tickers
				r.writeEvents(p)
			}
		case <-usage.C:
			r.writeUsage()
		case <-prune.C:
			if r.cfg.Retention > 0 {
				r.prune()
			}
		case <-ctx.Done():
			r.finalFlush(p)
			return
		}
	}
}

// finalFlush writes every queued event and the usage counters, retrying
// failed writes with backoff until FinalFlushTimeout, then drops (and
// counts) what could not be written.
func (r *Recorder) finalFlush(p *pendingEvents) {
	deadline := time.Now().Add(r.cfg.FinalFlushTimeout)
	for {
		for drained := false; !drained && len(p.batch) < r.cfg.BatchSize; {
			select {
			case e := <-r.events:
				p.batch = append(p.batch, e)
			default:
				drained = true
			}
		}
		if len(p.batch) == 0 {
			break
		}
		p.retryAt = time.Time{}
		p.attempts = 0 // on the way out only the deadline counts
		if r.writeEvents(p) == nil {
			continue
		}
		wait := r.backoff(1)
		if time.Now().Add(wait).After(deadline) {
			n := len(p.batch) + len(r.events)
			clear(p.batch)
			p.batch = p.batch[:0]
			for len(r.events) > 0 {
				<-r.events
			}
			r.reportDropped("events", n, "stopping: audit events could not be written before the shutdown deadline")
			break
		}
		time.Sleep(wait)
	}
	for attempt := 1; ; attempt++ {
		if r.writeUsage() == nil {
			return
		}
		wait := r.backoff(attempt)
		if time.Now().Add(wait).After(deadline) {
			n := 0
			for _, u := range r.takeUsage() {
				n += int(u.Tokens)
			}
			r.reportDropped("usage", n, "stopping: client usage counts could not be written before the shutdown deadline")
			return
		}
		time.Sleep(wait)
	}
}

// reportDropped reports what was finally dropped after failed writes: a metric
// and an error log line.
func (r *Recorder) reportDropped(kind string, n int, msg string) {
	if n == 0 {
		return
	}
	r.cfg.Logger.Error(msg, "kind", kind, "dropped", n)
	if r.cfg.OnWriteDrop != nil {
		r.cfg.OnWriteDrop(kind, n)
	}
}

// Flush waits until Run has returned after its context ended (and so has
// written everything it had), or until ctx ends. Without a Run it returns
// at once.
func (r *Recorder) Flush(ctx context.Context) {
	if !r.started.Load() {
		return
	}
	select {
	case <-r.flushed:
	case <-ctx.Done():
	}
}

// writeEvents appends p's batch. On success the batch is emptied; on
// failure it is kept for a retry after a backoff, and dropped (counted and
// logged) after WriteAttempts failures: the audit log must not hold up
// token requests or grow without bound while the store is down.
func (r *Recorder) writeEvents(p *pendingEvents) error {
	if len(p.batch) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	err := r.cfg.Store.AppendAuditBatch(ctx, p.batch)
	if err != nil {
		p.attempts++
		if p.attempts < r.cfg.WriteAttempts {
			wait := r.backoff(p.attempts)
			p.retryAt = time.Now().Add(wait)
			r.cfg.Logger.Warn("write audit events; will retry", "events", len(p.batch), "attempt", p.attempts, "retry_in", wait, "err", err)
			return err
		}
		r.reportDropped("events", len(p.batch), "audit events dropped after repeated write failures")
		r.cfg.Logger.Error("last audit write error", "err", err)
	}
	clear(p.batch)
	p.batch, p.attempts, p.retryAt = p.batch[:0], 0, time.Time{}
	return err
}

// takeUsage returns the counters gathered since the last write and resets
// them.
func (r *Recorder) takeUsage() []gatehouse.ClientUsage {
	var list []gatehouse.ClientUsage
	for i := range r.usage {
		s := &r.usage[i]
		s.mu.Lock()
		list = append(list, s.ended...)
		s.ended = nil
		if len(s.clients) > 0 {
			for _, u := range s.clients {
				list = append(list, u.ClientUsage)
			}
			s.clients = map[string]*dayCount{}
		}
		s.mu.Unlock()
	}
	return list
}

// writeUsage writes the counters gathered since the last write. If the
// write fails, the counts are added back so the next write carries them.
func (r *Recorder) writeUsage() error {
	list := r.takeUsage()
	if len(list) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := r.cfg.Store.AddClientUsage(ctx, list); err != nil {
		r.cfg.Logger.Warn("write client usage; will retry", "clients", len(list), "err", err)
		for _, u := range list {
			r.addBack(u)
		}
		return err
	}
	return nil
}

func (r *Recorder) addBack(u gatehouse.ClientUsage) {
	s := &r.usage[maphash.String(r.seed, u.ClientID)%usageShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.clients[u.ClientID]
	switch {
	case cur == nil:
		s.clients[u.ClientID] = &dayCount{ClientUsage: u, day: dayOf(u.LastUsedAt)}
	case cur.day == dayOf(u.LastUsedAt):
		cur.Tokens += u.Tokens
		if u.LastUsedAt.After(cur.LastUsedAt) {
			cur.LastUsedAt = u.LastUsedAt
		}
	default: // another day's count: kept apart
		s.ended = append(s.ended, u)
	}
}

// prune deletes the audit events and the per-day usage counts older than
// the retention period. A failure of one does not stop the other.
func (r *Recorder) prune() {
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	before := r.cfg.Now().Add(-r.cfg.Retention)
	if n, err := r.cfg.Store.DeleteAuditBefore(ctx, before); err != nil {
		r.cfg.Logger.Warn("prune audit events", "err", err)
	} else if n > 0 {
		r.cfg.Logger.Info("pruned audit events past retention", "events", n, "before", before)
	}
	if n, err := r.cfg.Store.DeleteDailyUsageBefore(ctx, before); err != nil {
		r.cfg.Logger.Warn("prune daily usage", "err", err)
	} else if n > 0 {
		r.cfg.Logger.Info("pruned daily usage past retention", "days", n, "before", before)
	}
}
