package bench

import (
	"math"
	"strings"
	"testing"
	"time"
)

// series returns a sample every step over total, valued f(t in seconds).
func series(total, step time.Duration, f func(s float64) float64) []Point {
	var p []Point
	for at := time.Duration(0); at <= total; at += step {
		p = append(p, Point{At: at, Value: f(at.Seconds())})
	}
	return p
}

func TestTrend(t *testing.T) {
	const total = 10 * time.Minute
	mib := float64(1 << 20)
	for _, tc := range []struct {
		name string
		f    func(s float64) float64
		flat bool
	}{
		{"a level after a steep warm-up is flat", func(s float64) float64 { return 40*mib + math.Min(s, 150)*mib/5 }, true},
		{"a saw-tooth (garbage collections) is flat", func(s float64) float64 { return 60*mib + float64(int(s)%60)*mib/6 }, true},
		{"one spike in the last third, then back, is flat", func(s float64) float64 {
			if s > 500 && s < 520 {
				return 80 * mib
			}
			return 60 * mib
		}, true},
		{"steady growth of 2 MiB a minute is a leak", func(s float64) float64 { return 60*mib + s/30*mib }, false},
		{"a step up that stays is growth", func(s float64) float64 {
			if s > 450 {
				return 70 * mib
			}
			return 60 * mib
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr, ok := TrendOf(series(total, 5*time.Second, tc.f), total, LevelMax)
			if !ok {
				t.Fatal("not enough samples")
			}
			if got := tr.Flat(DefaultTolerance, 0); got != tc.flat {
				t.Fatalf("Flat = %v, want %v (%+v)", got, tc.flat, tr)
			}
		})
	}

	t.Run("warm-up samples do not count", func(t *testing.T) {
		tr, ok := TrendOf(series(total, 5*time.Second, func(s float64) float64 {
			if s < 190 {
				return 500 // far above what follows: ignored
			}
			return 100
		}), total, LevelMax)
		if !ok || tr.Mid != 100 || tr.Last != 100 || tr.StepGrowth != 0 {
			t.Fatalf("%+v, %v", tr, ok)
		}
	})

	t.Run("a floor judges gauges that follow the connections", func(t *testing.T) {
		// Goroutines: 40 at rest, up to 300 with the connections a slow
		// minute opens, more often late in the run; the floor stays.
		busy := series(total, 5*time.Second, func(s float64) float64 {
			if int(s)%50 == 0 || (s > 450 && int(s)%20 == 0) {
				return 300
			}
			return 40
		})
		if tr, _ := TrendOf(busy, total, LevelMin); !tr.Flat(DefaultTolerance, 10) {
			t.Fatalf("a steady floor with bursts was judged growing: %+v", tr)
		}
		leak := series(total, 5*time.Second, func(s float64) float64 { return 40 + s/10 }) // one goroutine every 10 s
		if tr, _ := TrendOf(leak, total, LevelMin); tr.Flat(DefaultTolerance, 10) {
			t.Fatalf("a rising floor was judged flat: %+v", tr)
		}
	})

	t.Run("the slack absorbs small absolute moves of small gauges", func(t *testing.T) {
		tr, _ := TrendOf(series(total, 5*time.Second, func(s float64) float64 {
			if s > 395 {
				return 36 // open files: 30 → 36 from the last third on
			}
			return 30
		}), total, LevelMin)
		if tr.Flat(DefaultTolerance, 0) || !tr.Flat(DefaultTolerance, 10) {
			t.Fatalf("30 → 36 must fail without slack and pass with 10: %+v", tr)
		}
	})

	t.Run("too few samples are not judged", func(t *testing.T) {
		if _, ok := TrendOf(series(total, 2*time.Minute, func(float64) float64 { return 1 }), total, LevelMax); ok {
			t.Fatal("a sample every 2 minutes over 10 minutes (2 in the second third) was judged")
		}
		if _, ok := TrendOf(series(total, time.Minute, func(float64) float64 { return 1 }), total, LevelMax); !ok {
			t.Fatal("a sample a minute over 10 minutes (3 and 4 in the last two thirds) was not judged")
		}
	})
}

func TestJudge(t *testing.T) {
	const total = 9 * time.Minute
	flat := map[string][]Point{
		MetricRSS:        series(total, 10*time.Second, func(float64) float64 { return 50 << 20 }),
		MetricGoroutines: series(total, 10*time.Second, func(float64) float64 { return 40 }),
		MetricOpenFDs:    series(total, 10*time.Second, func(float64) float64 { return 30 }),
	}
	good := VerdictInput{Duration: total, Requests: 100000, Gauges: map[string]map[string][]Point{"http://a/metrics": flat}}
	if v := Judge(good, DefaultTolerance); !v.Pass {
		t.Fatalf("a clean run failed:\n%s", v)
	}

	leaking := map[string][]Point{}
	for k, v := range flat {
		leaking[k] = v
	}
	leaking[MetricGoroutines] = series(total, 10*time.Second, func(s float64) float64 { return 40 + s/2 })
	for _, tc := range []struct {
		name   string
		mod    func(in *VerdictInput)
		failed string
	}{
		{"one 5xx", func(in *VerdictInput) { in.Status5xx = 1 }, "no 5xx"},
		{"an unanswered request", func(in *VerdictInput) { in.Transport = 1 }, "every request answered"},
		{"dropped requests beyond the share", func(in *VerdictInput) { in.Dropped = 200 }, "rate held"},
		{"a reuse answer with another token", func(in *VerdictInput) { in.Mismatched = 1 }, "reuse stable"},
		{"goroutines growing on one target", func(in *VerdictInput) {
			in.Gauges = map[string]map[string][]Point{"http://a/metrics": flat, "http://b/metrics": leaking}
		}, "goroutines flat (http://b/metrics)"},
	} {
		t.Run(tc.name+" fails the verdict", func(t *testing.T) {
			in := good
			tc.mod(&in)
			v := Judge(in, DefaultTolerance)
			if v.Pass {
				t.Fatalf("passed:\n%s", v)
			}
			var failed []string
			for _, c := range v.Checks {
				if !c.Pass {
					failed = append(failed, c.Name)
				}
			}
			if len(failed) != 1 || failed[0] != tc.failed {
				t.Fatalf("failed checks %v, want only %q", failed, tc.failed)
			}
			if s := v.String(); !strings.Contains(s, "FAIL "+tc.failed) {
				t.Errorf("the rendering does not show the failure:\n%s", s)
			}
		})
	}

	t.Run("a few dropped requests within the share pass", func(t *testing.T) {
		in := good
		in.Dropped = 50 // 0.05 %
		if v := Judge(in, DefaultTolerance); !v.Pass {
			t.Fatalf("failed:\n%s", v)
		}
	})
}
