package dashboard

import (
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func TestUsageChart(t *testing.T) {
	last := time.Date(2026, 3, 30, 15, 4, 5, 0, time.UTC)
	day := func(n int) time.Time { return time.Date(2026, 3, n, 0, 0, 0, 0, time.UTC) }
	usage := []gatehouse.DailyUsage{
		{ClientID: "a", Day: day(1), Tokens: 5},   // the first day shown
		{ClientID: "b", Day: day(1), Tokens: 2},   // summed with a's
		{ClientID: "a", Day: day(30), Tokens: 70}, // the last day, the peak
		{ClientID: "a", Day: day(15), Tokens: 35},
		{ClientID: "a", Day: time.Date(2026, 2, 28, 0, 0, 0, 0, time.UTC), Tokens: 1000}, // before the range
	}
	c := newUsageChart("Tokens per day", usage, last, 30)
	if len(c.Bars) != 30 || len(c.Days) != 30 {
		t.Fatalf("%d bars and %d days, want 30 of each", len(c.Bars), len(c.Days))
	}
	if c.Total != 112 || c.Max != 100 {
		t.Fatalf("total %d, axis top %d; want 112 and 100", c.Total, c.Max)
	}
	if c.Days[0] != (usageDay{"2026-03-01", 7}) || c.Days[29] != (usageDay{"2026-03-30", 70}) || c.Days[14].Tokens != 35 {
		t.Fatalf("days %v", c.Days)
	}
	plotH := float64(chartHeight - chartTop - chartBottom)
	if got, want := c.Bars[29].H, round1(plotH*0.7); got != want {
		t.Errorf("the last bar is %v high, want %v (70 of 100)", got, want)
	}
	if d := c.Bars[29].Y + c.Bars[29].H - c.PlotBottom; d > 0.11 || d < -0.11 {
		t.Errorf("the last bar does not stand on the axis: y %v + h %v, axis %v", c.Bars[29].Y, c.Bars[29].H, c.PlotBottom)
	}
	if c.Bars[1].H != 0 || c.Bars[1].Label != "2026-03-02: 0 tokens" {
		t.Errorf("an empty day: %+v", c.Bars[1])
	}
	if c.Bars[29].X <= c.Bars[28].X || c.Bars[29].X+c.Bars[29].W > float64(chartWidth-chartRight) {
		t.Errorf("bars run out of order or off the plot: %+v, %+v", c.Bars[28], c.Bars[29])
	}
	if want := "112 tokens from 2026-03-01 to 2026-03-30. Busiest day 2026-03-30 with 70."; c.Description != want {
		t.Errorf("description %q, want %q", c.Description, want)
	}
	if n := len(c.XLabels); n != 5 || c.XLabels[n-1].Text != "Mar 30" {
		t.Errorf("x labels %+v, want every seventh day ending with Mar 30", c.XLabels)
	}
}

func TestNiceCeiling(t *testing.T) {
	for _, c := range []struct{ in, want int64 }{{0, 2}, {1, 2}, {2, 2}, {3, 5}, {7, 10}, {11, 20}, {70, 100}, {101, 200}, {999, 1000}, {1001, 2000}} {
		if got := niceCeiling(c.in); got != c.want {
			t.Errorf("niceCeiling(%d) = %d, want %d", c.in, got, c.want)
		}
	}
}
