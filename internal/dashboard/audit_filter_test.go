package dashboard

import (
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

func TestAuditFilter(t *testing.T) {
	f, form, err := auditFilter(url.Values{
		"action": {" client.create "}, "actor": {"user:ana@example.com"}, "outcome": {"denied"},
		"since": {"2026-03-01"}, "until": {"2026-03-02T12:30"}, "before": {"42"},
	})
	if err != nil {
		t.Fatal(err)
	}
	want := gatehouse.AuditFilter{
		Action: "client.create", Actor: "user:ana@example.com", Outcome: "denied", Newest: true, BeforeID: 42,
		Since: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), Until: time.Date(2026, 3, 2, 12, 30, 0, 0, time.UTC),
	}
	if f != want || form.Action != "client.create" {
		t.Fatalf("filter %+v, want %+v", f, want)
	}
	for name, q := range map[string]url.Values{
		"an unknown outcome":      {"outcome": {"maybe"}},
		"a since that is no date": {"since": {"yesterday"}},
		"a negative before":       {"before": {"-1"}},
	} {
		if _, _, err := auditFilter(q); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
			t.Errorf("%s: got %v, want an invalid-input error", name, err)
		}
	}
}

func TestCSVSafe(t *testing.T) {
	for in, want := range map[string]string{
		"=HYPERLINK(\"x\")": "'=HYPERLINK(\"x\")", "+1": "'+1", "-2": "'-2", "@SUM(A1)": "'@SUM(A1)",
		"client.create": "client.create", "": "",
	} {
		if got := csvSafe(in); got != want {
			t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
