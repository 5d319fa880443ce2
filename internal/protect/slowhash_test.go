package protect

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/gatehouse-dev/gatehouse/internal/metrics"
)

// slowHashRefusals reads gatehouse_slow_hash_refused_total by budget.
func slowHashRefusals(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range families {
		if mf.GetName() != "gatehouse_slow_hash_refused_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			out[m.GetLabel()[0].GetValue()] += m.GetCounter().GetValue()
		}
	}
	return out
}

func TestSlowHashBudgetPerClientAndGlobal(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	reg := prometheus.NewRegistry()
	b := NewSlowHashBudget(Threshold{Count: 2, Window: time.Second}, Threshold{Count: 3, Window: time.Second},
		clk.Now, metrics.New(reg), nil)

	allowed := func(id string, n int) int {
		ok := 0
		for range n {
			if b.AllowSlowHash(id) {
				ok++
			}
		}
		return ok
	}
	if got := allowed("a", 5); got != 2 {
		t.Fatalf("client a got %d slow hashes in one instant, want its budget of 2", got)
	}
	if got := allowed("b", 5); got != 1 {
		t.Fatalf("client b got %d, want the 1 left of the global budget of 3", got)
	}
	// a: 3 over its own budget; b: its 2nd over the global budget, its
	// 3rd to 5th over its own (asked first).
	if got := slowHashRefusals(t, reg); got[SlowHashBudgetClient] != 3+3 || got[SlowHashBudgetGlobal] != 1 {
		t.Fatalf("refusals counted %v; want 6 by the client budget and 1 by the global one", got)
	}

	clk.Add(time.Second)
	if got := allowed("c", 1) + allowed("a", 1); got != 2 {
		t.Fatalf("a second later %d of 2 slow hashes were admitted", got)
	}

	t.Run("a negative count switches a budget off, a zero one takes the default", func(t *testing.T) {
		off := NewSlowHashBudget(Threshold{Count: -1}, Threshold{Count: -1}, clk.Now, nil, nil)
		for range 1000 {
			if !off.AllowSlowHash("x") {
				t.Fatal("a switched-off budget refused a slow hash")
			}
		}
		def := NewSlowHashBudget(Threshold{}, Threshold{}, clk.Now, nil, nil)
		ok := 0
		for range 100 {
			if def.AllowSlowHash("x") {
				ok++
			}
		}
		if ok != DefaultSlowHashPerClient.Count {
			t.Fatalf("the default per-client budget admitted %d in one instant, want %d", ok, DefaultSlowHashPerClient.Count)
		}
	})
}
