package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// dayDuration is a flag value that takes Go durations ("15m", "24h") and
// whole days ("1d", "90d"), like --lifetime.
type dayDuration struct{ d *time.Duration }

func (v dayDuration) String() string {
	if v.d == nil || *v.d == 0 {
		return "0s"
	}
	return v.d.String()
}

func (v dayDuration) Set(s string) error {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseInt(days, 10, 64)
		if err != nil || n < 0 || n > 36500 {
			return fmt.Errorf("%q must be a duration such as 30m, 24h or 7d", s)
		}
		*v.d = time.Duration(n) * 24 * time.Hour
		return nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("%q must be a duration such as 30m, 24h or 7d", s)
	}
	*v.d = d
	return nil
}

func (v dayDuration) Type() string { return "duration" }

// dayDurationVar defines a duration flag that also takes days.
func dayDurationVar(fs *pflag.FlagSet, p *time.Duration, name, usage string) {
	fs.Var(dayDuration{p}, name, usage)
}

// trimmedList is a flag value for repeatable, comma-separated lists whose
// items are trimmed: --scope "a, b" is the scopes a and b, not "a" and " b".
type trimmedList struct{ items *[]string }

func (v trimmedList) String() string {
	if v.items == nil {
		return ""
	}
	return strings.Join(*v.items, ",")
}

func (v trimmedList) Set(s string) error {
	if *v.items == nil {
		*v.items = []string{} // given, even empty: not null
	}
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			*v.items = append(*v.items, item)
		}
	}
	return nil
}

func (v trimmedList) Type() string { return "strings" }

// trimmedListVar defines a repeatable, comma-separated list flag whose
// items are trimmed.
func trimmedListVar(fs *pflag.FlagSet, p *[]string, name, usage string) {
	fs.Var(trimmedList{p}, name, usage)
}
