package bench

import (
	"fmt"
	"math"
	"strings"
	"time"
)

// Point is one sample of a process gauge (RSS, goroutines, open files).
type Point struct {
	At    time.Duration // since the start of the soak
	Value float64
}

// Trend is how a gauge moved after the warm-up: the soak's first third is
// warm-up; the rest is split in two halves of equal time (the second and
// last thirds of the run).
type Trend struct {
	// Mid and Last are the level of the second and of the last third: their
	// largest value (for memory, which a leak lifts at its peaks) or their
	// smallest (for goroutines and open files, which follow the
	// connections in use up and down: a leak lifts the floor).
	Mid, Last float64
	// StepGrowth is Last/Mid − 1.
	StepGrowth float64
	// SlopeGrowth is the least-squares slope over both thirds times their
	// span, divided by their mean: how much the gauge grew over the two
	// thirds, as a share of its level, if it grew in a straight line.
	SlopeGrowth float64
	// Samples is how many points fell after the warm-up.
	Samples int
}

// Levels of a third for TrendOf.
const (
	LevelMax = "max"
	LevelMin = "min"
)

// minTrendSamples is the fewest points after warm-up, per third, that a
// trend is judged on.
const minTrendSamples = 3

// TrendOf computes the trend of points taken over a run of length total,
// with level (LevelMax or LevelMin) as each third's level. ok is false when
// either third has fewer than minTrendSamples points.
func TrendOf(points []Point, total time.Duration, level string) (tr Trend, ok bool) {
	warm, mid := total/3, 2*total/3
	pick := math.Max
	if level == LevelMin {
		pick = math.Min
	}
	var n, nMid, nLast int
	var sumT, sumV, sumTT, sumTV float64
	first, lastT := time.Duration(-1), time.Duration(0)
	for _, p := range points {
		if p.At < warm {
			continue
		}
		if p.At < mid {
			if nMid == 0 {
				tr.Mid = p.Value
			}
			nMid++
			tr.Mid = pick(tr.Mid, p.Value)
		} else {
			if nLast == 0 {
				tr.Last = p.Value
			}
			nLast++
			tr.Last = pick(tr.Last, p.Value)
		}
		if first < 0 {
			first = p.At
		}
		lastT = p.At
		t := p.At.Seconds()
		n++
		sumT += t
		sumV += p.Value
		sumTT += t * t
		sumTV += t * p.Value
	}
	tr.Samples = n
	if nMid < minTrendSamples || nLast < minTrendSamples {
		return tr, false
	}
	if tr.Mid > 0 {
		tr.StepGrowth = tr.Last/tr.Mid - 1
	}
	fn := float64(n)
	if den := fn*sumTT - sumT*sumT; den > 0 && sumV > 0 {
		slope := (fn*sumTV - sumT*sumV) / den
		tr.SlopeGrowth = slope * (lastT - first).Seconds() / (sumV / fn)
	}
	return tr, true
}

// Flat reports whether the gauge did not grow: the last third's level is
// within tolerance (a share, 0.05 for 5 %) plus slack (an absolute amount)
// of the second third's, or the regression line over both grew by less
// than that. Either test alone passes: a single late spike lifts the
// maximum but not the line, and a saw-tooth lifts the line's noise but not
// the levels. A leak lifts both.
func (tr Trend) Flat(tolerance, slack float64) bool {
	allowed := func(level float64) float64 {
		if level <= 0 {
			return math.Inf(1)
		}
		return tolerance + slack/level
	}
	return tr.StepGrowth <= allowed(tr.Mid) || tr.SlopeGrowth <= allowed((tr.Mid+tr.Last)/2)
}

// Check is one line of a verdict.
type Check struct {
	Name   string `json:"name"`
	Pass   bool   `json:"pass"`
	Detail string `json:"detail"`
}

// Verdict is the judgement of a soak: it passes when every check does.
type Verdict struct {
	Pass   bool    `json:"pass"`
	Checks []Check `json:"checks"`
}

// VerdictInput is what a soak measured, for Judge.
type VerdictInput struct {
	Duration  time.Duration
	Requests  int
	Status5xx int
	Transport int // requests that got no answer
	// Dropped counts requests the schedule called for that were not sent
	// because every in-flight slot was taken: the server fell behind.
	Dropped int
	// Mismatched counts reuse answers that were not the client's earlier
	// token.
	Mismatched int
	// Gauges holds, per target, the samples of each gauge by metric name.
	Gauges map[string]map[string][]Point
}

// Limits of Judge.
const (
	// DefaultTolerance is how much a gauge may grow after warm-up.
	DefaultTolerance = 0.05
	// DroppedShare is the share of requests that may be dropped before the
	// soak counts as not having held its rate.
	DroppedShare = 0.001
)

// gaugeRule is how each gauge is judged: memory by its peaks; goroutines
// and open files, which follow the connections in use, by their floor,
// with a little absolute slack for small counts.
var gaugeRule = map[string]struct {
	level string
	slack float64
}{
	MetricRSS:        {LevelMax, 0},
	MetricGoroutines: {LevelMin, 10},
	MetricOpenFDs:    {LevelMin, 10},
}

// Judge turns what a soak measured into a verdict with the given tolerance
// for gauge growth.
func Judge(in VerdictInput, tolerance float64) Verdict {
	v := Verdict{Pass: true}
	add := func(name string, pass bool, format string, args ...any) {
		v.Checks = append(v.Checks, Check{Name: name, Pass: pass, Detail: fmt.Sprintf(format, args...)})
		v.Pass = v.Pass && pass
	}
	add("no 5xx", in.Status5xx == 0, "%d of %d requests answered 5xx", in.Status5xx, in.Requests)
	add("every request answered", in.Transport == 0, "%d requests got no answer", in.Transport)
	add("rate held", float64(in.Dropped) <= DroppedShare*float64(in.Requests+in.Dropped),
		"%d requests dropped for want of a free connection (at most %.1f%% allowed)", in.Dropped, 100*DroppedShare)
	add("reuse stable", in.Mismatched == 0, "%d reuse answers carried another token than the client's earlier one", in.Mismatched)
	for _, target := range sortedKeys(in.Gauges) {
		for _, metric := range []string{MetricRSS, MetricGoroutines, MetricOpenFDs} {
			name := fmt.Sprintf("%s flat (%s)", metricLabel[metric], target)
			rule := gaugeRule[metric]
			tr, ok := TrendOf(in.Gauges[target][metric], in.Duration, rule.level)
			if !ok {
				add(name, false, "too few samples after warm-up (%d; need %d in each of the last two thirds): scrape more often or run longer",
					tr.Samples, minTrendSamples)
				continue
			}
			add(name, tr.Flat(tolerance, rule.slack),
				"%s %s in the second third, %s in the last (%+.1f%%); regression line %+.1f%% over both (allowed %.0f%% + %.0f)",
				rule.level, formatGauge(metric, tr.Mid), formatGauge(metric, tr.Last), 100*tr.StepGrowth, 100*tr.SlopeGrowth,
				100*tolerance, rule.slack)
		}
	}
	return v
}

// String renders the verdict for humans.
func (v Verdict) String() string {
	var b strings.Builder
	if v.Pass {
		b.WriteString("verdict: PASS\n")
	} else {
		b.WriteString("verdict: FAIL\n")
	}
	for _, c := range v.Checks {
		mark := "ok  "
		if !c.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "  %s %s: %s\n", mark, c.Name, c.Detail)
	}
	return b.String()
}
