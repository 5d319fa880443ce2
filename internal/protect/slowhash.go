package protect

import (
	"context"
	"log/slog"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/metrics"
	"github.com/gatehouse-dev/gatehouse/internal/ratelimit"
)

// Default budgets of slow hashes. A bcrypt hash of cost 10 takes about
// 50-100 ms of one core, so the global default keeps a flood of wrong
// secrets for clients under imported bcrypt hashes to about one core at
// most; a client's programs need one slow hash per replica after a start
// (the memo remembers it, and a strong secret is re-hashed to SHA-256).
var (
	DefaultSlowHashPerClient = Threshold{Count: 5, Window: time.Second}
	DefaultSlowHashGlobal    = Threshold{Count: 20, Window: time.Second}
)

// Budget names of SlowHashBudget refusals (the budget label of the
// metric).
const (
	SlowHashBudgetClient = "client"
	SlowHashBudgetGlobal = "global"
)

// SlowHashBudget is the gatehouse.SlowHashGate of a replica: at most
// PerClient slow hashes (bcrypt, PBKDF2 checks of imported secrets that the
// memo does not know) per client and Global in all per window, in memory,
// since what it spares is this replica's CPU. A refused check answers as a
// wrong secret would, without computing the hash; refusals are counted in
// gatehouse_slow_hash_refused_total. The per-client budget is asked first,
// so one client's flood spends its own budget and not the global one.
type SlowHashBudget struct {
	perClient, global ratelimit.Limit
	limiter           *ratelimit.Memory
	metrics           *metrics.Metrics
	logger            *slog.Logger
}

// NewSlowHashBudget returns a budget of perClient and global slow hashes
// (a zero Threshold takes its default; a negative count switches that
// budget off) on the clock now; m and logger may be nil.
func NewSlowHashBudget(perClient, global Threshold, now func() time.Time, m *metrics.Metrics, logger *slog.Logger) *SlowHashBudget {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &SlowHashBudget{
		perClient: budgetLimit(perClient, DefaultSlowHashPerClient),
		global:    budgetLimit(global, DefaultSlowHashGlobal),
		limiter:   ratelimit.NewMemory(now),
		metrics:   m,
		logger:    logger,
	}
}

func budgetLimit(t, d Threshold) ratelimit.Limit {
	if t.Count < 0 {
		return ratelimit.Limit{} // unlimited
	}
	return withDefault(t, d).limit()
}

// withDefault returns t with a zero count or window replaced by d's.
func withDefault(t, d Threshold) Threshold {
	if t.Count == 0 {
		t.Count = d.Count
	}
	if t.Window == 0 {
		t.Window = d.Window
	}
	return t
}

// AllowSlowHash reports whether a slow hash may be computed now for a
// secret presented for clientID, and counts it if so.
func (b *SlowHashBudget) AllowSlowHash(clientID string) bool {
	ctx := context.Background() // the memory limiter neither blocks nor fails
	for _, l := range []struct {
		budget string
		key    ratelimit.Key
		limit  ratelimit.Limit
	}{
		{SlowHashBudgetClient, ratelimit.Key{Kind: "slowhash", ID: clientID}, b.perClient},
		{SlowHashBudgetGlobal, ratelimit.Key{Kind: "slowhash", ID: ""}, b.global},
	} {
		if l.limit.Unlimited() {
			continue
		}
		d, err := b.limiter.Allow(ctx, l.key, l.limit)
		if err != nil || d.Allowed {
			continue
		}
		if b.metrics != nil {
			b.metrics.SlowHashRefused.WithLabelValues(l.budget).Inc()
		}
		b.logger.Debug("slow hash refused over its budget", "client_id", clientID, "budget", l.budget)
		return false
	}
	return true
}
