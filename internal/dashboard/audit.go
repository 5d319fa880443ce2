package dashboard

import (
	"encoding/csv"
	"encoding/json"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// auditPageSize is how many events one page of the audit log shows.
const auditPageSize = 100

// auditExportLimit bounds one export; a larger log is exported in parts
// with since/until.
const auditExportLimit = 10000

// auditPage is the audit log with its filters.
type auditPage struct {
	Events     []*gatehouse.AuditEvent
	Filter     auditForm
	Outcomes   []string
	Older      template.URL // the next (older) page, "" at the end
	ExportCSV  template.URL
	ExportJSON template.URL
}

// auditForm is the filter form as typed.
type auditForm struct {
	Action, Actor, Outcome, Since, Until string
}

// auditFilter reads the filter of the audit page and its exports: action,
// actor, outcome, since and until (dates, or date and time, UTC; until is
// exclusive), before (an event id, for paging).
func auditFilter(q url.Values) (gatehouse.AuditFilter, auditForm, error) {
	form := auditForm{
		Action: strings.TrimSpace(q.Get("action")), Actor: strings.TrimSpace(q.Get("actor")),
		Outcome: q.Get("outcome"), Since: strings.TrimSpace(q.Get("since")), Until: strings.TrimSpace(q.Get("until")),
	}
	f := gatehouse.AuditFilter{Action: form.Action, Actor: form.Actor, Outcome: form.Outcome, Newest: true}
	switch form.Outcome {
	case "", gatehouse.OutcomeSuccess, gatehouse.OutcomeFailure, gatehouse.OutcomeDenied:
	default:
		return f, form, gatehouse.Errorf(gatehouse.EINVALID, "outcome must be success, failure or denied")
	}
	var err error
	if f.Since, err = parseWhen(form.Since, "since"); err != nil {
		return f, form, err
	}
	if f.Until, err = parseWhen(form.Until, "until"); err != nil {
		return f, form, err
	}
	if v := q.Get("before"); v != "" {
		if f.BeforeID, err = strconv.ParseInt(v, 10, 64); err != nil || f.BeforeID <= 0 {
			return f, form, gatehouse.Errorf(gatehouse.EINVALID, "before must be an event id")
		}
	}
	return f, form, nil
}

// parseWhen reads a date (2026-03-01) or a date and time
// (2026-03-01T12:00, or RFC 3339), taken as UTC when it has no zone.
func parseWhen(v, name string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, v, time.UTC); err == nil {
			return t, nil
		}
	}
	return time.Time{}, gatehouse.Errorf(gatehouse.EINVALID, "%s must be a date like 2026-03-01 or a time like 2026-03-01T12:00", name)
}

func (d *Dashboard) auditLog(w http.ResponseWriter, r *http.Request, c *Caller) {
	f, form, err := auditFilter(r.URL.Query())
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	f.Limit = auditPageSize + 1
	list, err := d.manage.AuditEvents(r.Context(), principalOf(r, c), f)
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	q := r.URL.Query()
	q.Del("before")
	page := auditPage{Filter: form, Outcomes: []string{gatehouse.OutcomeSuccess, gatehouse.OutcomeFailure, gatehouse.OutcomeDenied}}
	// The URLs are built from parsed values by url.Values.Encode, so they
	// are safe to mark as URLs.
	q.Set("format", "csv")
	page.ExportCSV = template.URL("/ui/audit/export?" + q.Encode())
	q.Set("format", "jsonl")
	page.ExportJSON = template.URL("/ui/audit/export?" + q.Encode())
	q.Del("format")
	if len(list) > auditPageSize {
		list = list[:auditPageSize]
		q.Set("before", strconv.FormatInt(list[len(list)-1].ID, 10))
		page.Older = template.URL("/ui/audit?" + q.Encode())
	}
	page.Events = list
	d.render(w, r, c, http.StatusOK, "audit", &Page{Title: "Audit log", Nav: "audit", Data: page})
}

// auditExport writes the filtered log, newest first, as CSV or JSON lines
// (format=csv or format=jsonl), at most auditExportLimit events.
func (d *Dashboard) auditExport(w http.ResponseWriter, r *http.Request, c *Caller) {
	f, _, err := auditFilter(r.URL.Query())
	if err != nil {
		d.fail(w, r, c, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format != "csv" && format != "jsonl" {
		d.fail(w, r, c, gatehouse.Errorf(gatehouse.EINVALID, "format must be csv or jsonl"))
		return
	}
	p := principalOf(r, c)
	var events []*gatehouse.AuditEvent
	for len(events) < auditExportLimit {
		f.Limit = min(1000, auditExportLimit-len(events))
		page, err := d.manage.AuditEvents(r.Context(), p, f)
		if err != nil {
			d.fail(w, r, c, err)
			return
		}
		events = append(events, page...)
		if len(page) < f.Limit {
			break
		}
		f.BeforeID = page[len(page)-1].ID
	}
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	name := "gatehouse-audit-" + d.now().UTC().Format("20060102-150405")
	if format == "csv" {
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		cw := csv.NewWriter(w)
		cw.Write([]string{"id", "time", "actor", "source_ip", "action", "object", "environment", "outcome", "detail"})
		for _, e := range events {
			cw.Write([]string{strconv.FormatInt(e.ID, 10), e.Time.UTC().Format(time.RFC3339Nano), csvSafe(e.Actor), e.SourceIP,
				csvSafe(e.Action), csvSafe(e.Object), csvSafe(e.Environment), e.Outcome, csvSafe(e.Detail)})
		}
		cw.Flush()
		return
	}
	h.Set("Content-Type", "application/x-ndjson")
	h.Set("Content-Disposition", `attachment; filename="`+name+`.jsonl"`)
	enc := json.NewEncoder(w)
	for _, e := range events {
		enc.Encode(wire.AuditEventOf(e))
	}
}

// csvSafe keeps a field from being read as a formula by a spreadsheet
// (CSV injection): a leading =, +, - or @ gets a quote in front.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}
