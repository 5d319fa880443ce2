package adminapi

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/bans"
)

// rateLimitsJSON renders an environment's rate limits.
func rateLimitsJSON(l gatehouse.RateLimits) wire.RateLimits {
	return wire.RateLimits{
		ClientPerMinute: l.ClientPerMinute, ClientBurst: l.ClientBurst,
		IPPerMinute: l.IPPerMinute, IPBurst: l.IPBurst,
	}
}

// listBans serves GET /admin/v1/bans.
func (h *Handler) listBans(w http.ResponseWriter, r *http.Request, _ *gatehouse.Principal) error {
	if h.bans == nil {
		writeJSON(w, http.StatusOK, wire.BanList{Items: []wire.Ban{}})
		return nil
	}
	list, err := h.bans.Bans(r.Context())
	if err != nil {
		return gatehouse.Errorf(gatehouse.EUNAVAILABLE, "the ban list is unreachable: %v", err)
	}
	out := wire.BanList{Items: make([]wire.Ban, 0, len(list))}
	for _, b := range list {
		out.Items = append(out.Items, wire.Ban{
			Subject: b.Subject, Reason: b.Reason, Environment: b.Environment,
			CreatedAt: b.CreatedAt.UTC(), ExpiresAt: b.ExpiresAt.UTC(),
		})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// liftBan serves DELETE /admin/v1/bans/{subject}: the subject is an IP
// address (an IPv6 one lifts the ban of its /64) or an IPv6 /64 with its
// slash escaped (%2F). Lifting a ban that does not exist is 404.
func (h *Handler) liftBan(w http.ResponseWriter, r *http.Request, _ *gatehouse.Principal) error {
	raw, err := url.PathUnescape(r.PathValue("subject"))
	if err != nil {
		raw = r.PathValue("subject")
	}
	subject, err := bans.ParseSubject(raw)
	if err != nil {
		return gatehouse.Errorf(gatehouse.EINVALID, "%v", err)
	}
	if h.bans == nil {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s is not banned", subject)
	}
	found, err := h.bans.Lift(r.Context(), subject)
	if err != nil {
		return gatehouse.Errorf(gatehouse.EUNAVAILABLE, "the ban list is unreachable: %v", err)
	}
	if !found {
		return gatehouse.Errorf(gatehouse.ENOTFOUND, "%s is not banned", subject)
	}
	h.logger.InfoContext(r.Context(), "admin API: ban lifted", "subject", subject)
	writeJSON(w, http.StatusOK, wire.LiftedBan{Subject: subject, Lifted: true})
	return nil
}

// auditFilter reads the filter of GET /admin/v1/audit and its export from
// the query: actor, action, object, environment, since, until (RFC 3339),
// after, before (event ids), limit and order (asc or desc).
func auditFilter(q url.Values, maxLimit int) (gatehouse.AuditFilter, error) {
	f := gatehouse.AuditFilter{
		Actor: q.Get("actor"), Action: q.Get("action"), Object: q.Get("object"), Environment: q.Get("environment"),
	}
	for _, t := range []struct {
		name string
		dst  *time.Time
	}{{"since", &f.Since}, {"until", &f.Until}} {
		if v := q.Get(t.name); v != "" {
			tm, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, gatehouse.Errorf(gatehouse.EINVALID, "%s must be an RFC 3339 time, e.g. 2026-03-01T12:00:00Z", t.name)
			}
			*t.dst = tm
		}
	}
	for _, n := range []struct {
		name string
		dst  *int64
	}{{"after", &f.AfterID}, {"before", &f.BeforeID}} {
		if v := q.Get(n.name); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id < 0 {
				return f, gatehouse.Errorf(gatehouse.EINVALID, "%s must be an event id", n.name)
			}
			*n.dst = id
		}
	}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLimit {
			return f, gatehouse.Errorf(gatehouse.EINVALID, "limit must be between 1 and %d", maxLimit)
		}
		f.Limit = n
	}
	switch q.Get("order") {
	case "", "asc":
	case "desc":
		f.Newest = true
	default:
		return f, gatehouse.Errorf(gatehouse.EINVALID, "order must be asc or desc")
	}
	return f, nil
}

// listAudit serves GET /admin/v1/audit: a page of events, oldest first
// (after= pages on) or newest first with order=desc (before= pages on).
func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request, _ *gatehouse.Principal) error {
	f, err := auditFilter(r.URL.Query(), maxPageLimit)
	if err != nil {
		return err
	}
	if f.Limit == 0 {
		f.Limit = 100
	}
	list, err := h.store.AuditEvents(r.Context(), f)
	if err != nil {
		return fmt.Errorf("list audit events: %w", err)
	}
	out := wire.AuditPage{Items: make([]wire.AuditEvent, 0, len(list))}
	for _, e := range list {
		out.Items = append(out.Items, wire.AuditEventOf(e))
	}
	if len(list) == f.Limit {
		last := list[len(list)-1].ID
		if f.Newest {
			out.NextBefore = &last
		} else {
			out.NextAfter = &last
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// exportAudit serves GET /admin/v1/audit/export: every matching event as
// JSON lines (application/x-ndjson), oldest first, streamed page by page
// so that an export of millions of events holds one page in memory.
func (h *Handler) exportAudit(w http.ResponseWriter, r *http.Request, _ *gatehouse.Principal) error {
	f, err := auditFilter(r.URL.Query(), 1<<30)
	if err != nil {
		return err
	}
	if f.Newest {
		return gatehouse.Errorf(gatehouse.EINVALID, "an export is always oldest first; leave out order")
	}
	remaining := f.Limit // 0: everything
	f.Limit = 1000
	ctx := r.Context()
	first, err := h.store.AuditEvents(ctx, f)
	if err != nil {
		return fmt.Errorf("export audit events: %w", err)
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="gatehouse-audit.jsonl"`)
	w.WriteHeader(http.StatusOK)
	bw := bufio.NewWriterSize(w, 32<<10)
	enc := json.NewEncoder(bw)
	flusher, _ := w.(http.Flusher)
	page := first
	for len(page) > 0 {
		for _, e := range page {
			if err := enc.Encode(wire.AuditEventOf(e)); err != nil {
				return nil // the client went away; the status is sent
			}
			if remaining > 0 {
				if remaining--; remaining == 0 {
					bw.Flush()
					return nil
				}
			}
		}
		if bw.Flush() != nil {
			return nil
		}
		if flusher != nil {
			flusher.Flush()
		}
		if len(page) < f.Limit {
			break
		}
		f.AfterID = page[len(page)-1].ID
		if page, err = h.store.AuditEvents(ctx, f); err != nil {
			// Too late for an error status: end the stream short and log.
			h.logger.ErrorContext(ctx, "admin API: audit export cut short", "after_id", f.AfterID, "err", err)
			return nil
		}
	}
	return nil
}
