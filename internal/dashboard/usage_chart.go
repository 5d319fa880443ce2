package dashboard

import (
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

// The usage chart is an SVG drawn by the server: bars of tokens issued per
// UTC day, with a title and description for screen readers and a <title>
// per bar for pointer users. The page also shows the same numbers as a
// table, so nothing depends on seeing the chart.

// Geometry of the chart's view box; the SVG scales to its container.
const (
	chartWidth  = 640
	chartHeight = 220
	chartLeft   = 48 // room for the y-axis labels
	chartRight  = 24 // room for the last x-axis label
	chartTop    = 12
	chartBottom = 28 // room for the x-axis labels
)

// usageChart is what the usage chart template draws.
type usageChart struct {
	Title       string
	Description string
	Width       int
	Height      int
	Total       int64
	Max         int64 // the top of the y axis
	Bars        []usageBar
	XLabels     []chartLabel
	YLabels     []chartLabel
	Grid        []float64 // y positions of horizontal grid lines
	PlotLeft    float64
	PlotRight   float64
	PlotBottom  float64
	Days        []usageDay // the numbers, for the table next to the chart
}

type usageBar struct {
	X, Y, W, H float64
	Label      string // "2026-03-02: 12 tokens"
}

type chartLabel struct {
	X, Y float64
	Text string
}

type usageDay struct {
	Day    string // 2026-03-02
	Tokens int64
}

// newUsageChart draws the tokens issued per day over the n days that end
// with the UTC day of last, summing the entries of every client given.
func newUsageChart(title string, usage []gatehouse.DailyUsage, last time.Time, n int) usageChart {
	lastDay := gatehouse.UsageDay(last)
	first := lastDay.AddDate(0, 0, -(n - 1))
	counts := make([]int64, n)
	var total int64
	for _, u := range usage {
		i := int(u.Day.Sub(first) / (24 * time.Hour))
		if i < 0 || i >= n || u.Day.Before(first) {
			continue
		}
		counts[i] += u.Tokens
		total += u.Tokens
	}
	var peak int64
	peakDay := 0
	for i, c := range counts {
		if c > peak {
			peak, peakDay = c, i
		}
	}
	top := niceCeiling(peak)
	c := usageChart{
		Title: title, Width: chartWidth, Height: chartHeight, Total: total, Max: top,
		PlotLeft: chartLeft, PlotRight: chartWidth - chartRight, PlotBottom: chartHeight - chartBottom,
	}
	c.Description = fmt.Sprintf("%d tokens from %s to %s.", total, first.Format(time.DateOnly), lastDay.Format(time.DateOnly))
	if peak > 0 {
		c.Description += fmt.Sprintf(" Busiest day %s with %d.", first.AddDate(0, 0, peakDay).Format(time.DateOnly), peak)
	}
	plotH := float64(chartHeight - chartTop - chartBottom)
	slot := float64(chartWidth-chartLeft-chartRight) / float64(n)
	for i, count := range counts {
		day := first.AddDate(0, 0, i)
		h := plotH * float64(count) / float64(top)
		c.Bars = append(c.Bars, usageBar{
			X: round1(chartLeft + float64(i)*slot + slot*0.15), W: round1(slot * 0.7),
			Y: round1(c.PlotBottom - h), H: round1(h),
			Label: fmt.Sprintf("%s: %d %s", day.Format(time.DateOnly), count, plural(count, "token", "tokens")),
		})
		c.Days = append(c.Days, usageDay{Day: day.Format(time.DateOnly), Tokens: count})
		if (n-1-i)%7 == 0 { // label every seventh day, ending with the last
			c.XLabels = append(c.XLabels, chartLabel{X: round1(chartLeft + (float64(i)+0.5)*slot), Y: chartHeight - 8, Text: day.Format("Jan 2")})
		}
	}
	for _, v := range []int64{0, top / 2, top} {
		y := round1(c.PlotBottom - plotH*float64(v)/float64(top))
		c.YLabels = append(c.YLabels, chartLabel{X: chartLeft - 6, Y: y + 4, Text: fmt.Sprint(v)})
		c.Grid = append(c.Grid, y)
	}
	return c
}

// niceCeiling returns the smallest of 1, 2, 5 times a power of ten (at
// least 2, so that the middle grid line is a whole number) that is at least v.
func niceCeiling(v int64) int64 {
	if v <= 2 {
		return 2
	}
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= v && m*p >= 2 {
				return m * p
			}
		}
	}
}

func round1(f float64) float64 { return float64(int64(f*10+0.5)) / 10 }

func plural(n int64, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
