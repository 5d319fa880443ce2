package adminapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
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

// patchRateLimits applies p to l; Environment.Validate checks the result.
func patchRateLimits(l *gatehouse.RateLimits, p *wire.RateLimitsPatch) {
	if p == nil {
		return
	}
	for _, f := range []struct {
		src *int
		dst *int
	}{{p.ClientPerMinute, &l.ClientPerMinute}, {p.ClientBurst, &l.ClientBurst}, {p.IPPerMinute, &l.IPPerMinute}, {p.IPBurst, &l.IPBurst}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
}

// listBans serves GET /admin/v1/bans.
func (h *Handler) listBans(w http.ResponseWriter, r *http.Request) error {
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
func (h *Handler) liftBan(w http.ResponseWriter, r *http.Request) error {
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

func auditEventJSON(e *gatehouse.AuditEvent) wire.AuditEvent {
	return wire.AuditEvent{
		ID: e.ID, Time: e.Time.UTC(), Actor: e.Actor, SourceIP: e.SourceIP, Action: e.Action,
		Object: e.Object, Environment: e.Environment, Outcome: e.Outcome, Detail: e.Detail,
	}
}

// listAudit serves GET /admin/v1/audit: a page of events, oldest first
// (after= pages on) or newest first with order=desc (before= pages on).
func (h *Handler) listAudit(w http.ResponseWriter, r *http.Request) error {
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
		out.Items = append(out.Items, auditEventJSON(e))
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
func (h *Handler) exportAudit(w http.ResponseWriter, r *http.Request) error {
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
			if err := enc.Encode(auditEventJSON(e)); err != nil {
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

// auditMutation returns the writer a mutation's handler writes to, and a
// function to call with the handler's error once it is done, which appends
// the mutation to the audit log: who (the admin client), from where, what
// (an action named after the route) on which object, and the outcome. Reads
// are not audited; reveal audits itself, with the user who re-entered a
// password.
func (h *Handler) auditMutation(w http.ResponseWriter, r *http.Request, rt route) (http.ResponseWriter, func(error)) {
	if h.audit == nil || rt.method == http.MethodGet || strings.HasSuffix(rt.path, "/reveal") {
		return w, func(error) {}
	}
	cw := &captureWriter{ResponseWriter: w}
	return cw, func(err error) {
		action, object := auditAction(rt, r)
		e := &gatehouse.AuditEvent{
			Time: h.now().UTC(), Actor: "anonymous", SourceIP: remoteIP(r), Action: action, Object: object,
			Environment: r.PathValue("env"), Outcome: gatehouse.OutcomeSuccess,
		}
		if p, aerr := h.authenticate(r); aerr == nil && p != nil {
			e.Actor = "client:" + p.ClientID
		}
		if err != nil {
			e.Outcome = gatehouse.OutcomeFailure
			if code := gatehouse.ErrorCode(err); code != gatehouse.EINTERNAL && code != gatehouse.EUNAVAILABLE {
				e.Outcome = gatehouse.OutcomeDenied
			}
			e.Detail = "error " + gatehouse.ErrorCode(err)
		} else if created := cw.created(); created.object != "" {
			if e.Object == "" {
				e.Object = created.object
			}
			if e.Environment == "" {
				e.Environment = created.environment
			}
		}
		if id, ok := strings.CutPrefix(e.Object, "client:"); ok && e.Environment == "" {
			if c, cerr := h.store.Client(context.WithoutCancel(r.Context()), id); cerr == nil {
				e.Environment = c.Environment
			}
		}
		if aerr := h.audit.AppendAudit(context.WithoutCancel(r.Context()), e); aerr != nil {
			h.logger.ErrorContext(r.Context(), "admin API: audit of a mutation failed", "action", action, "object", object, "err", aerr)
		}
	}
}

// auditAction names a mutation after its route: the resource, the fixed
// path segments after it, and for a plain path the verb of its method
// ("client.create", "client.rotate", "client.secrets.revoke",
// "environment.update", "ban.delete"). The object is the resource the path
// names ("client:<id>").
func auditAction(rt route, r *http.Request) (action, object string) {
	segs := strings.Split(strings.TrimPrefix(rt.path, Prefix), "/")
	resource := strings.TrimSuffix(segs[0], "s")
	parts := []string{resource}
	for _, s := range segs[1:] {
		if strings.HasPrefix(s, "{") {
			if object == "" {
				object = resource + ":" + r.PathValue(strings.Trim(s, "{}"))
			}
			continue
		}
		parts = append(parts, s)
	}
	if resource == "ban" { // the object is an address; lifting is "ip.unban"
		return gatehouse.ActionIPBanLifted, "ip:" + r.PathValue("subject")
	}
	if len(parts) == 1 || strings.HasSuffix(rt.path, "}") {
		parts = append(parts, map[string]string{
			http.MethodPost: "create", http.MethodPut: "update", http.MethodPatch: "update", http.MethodDelete: "delete",
		}[rt.method])
	}
	return strings.Join(parts, "."), object
}

// captureWriter keeps the start of a successful creation's answer, so that
// the audit record can name what was created. Only ids are read from it;
// the answer itself (which may hold a new secret) is never recorded.
type captureWriter struct {
	http.ResponseWriter
	status int
	head   []byte
}

func (c *captureWriter) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *captureWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if c.status == http.StatusCreated && len(c.head) < 64<<10 {
		c.head = append(c.head, b[:min(len(b), 64<<10-len(c.head))]...)
	}
	return c.ResponseWriter.Write(b)
}

// Flush passes a flush on to the underlying writer.
func (c *captureWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

type createdObject struct{ object, environment string }

// created names what a 201 answer created: a client, an account or an
// environment.
func (c *captureWriter) created() createdObject {
	if c.status != http.StatusCreated || len(c.head) == 0 {
		return createdObject{}
	}
	var v struct {
		ClientID    string          `json:"client_id"`
		ID          json.RawMessage `json:"id"`
		Name        string          `json:"name"`
		Environment string          `json:"environment"`
		Issuer      *string         `json:"issuer"`
	}
	if json.Unmarshal(c.head, &v) != nil {
		return createdObject{}
	}
	switch {
	case v.ClientID != "":
		return createdObject{"client:" + v.ClientID, v.Environment}
	case v.Issuer != nil && v.Name != "":
		return createdObject{"environment:" + v.Name, v.Name}
	case len(v.ID) > 0:
		if id, err := strconv.ParseInt(string(v.ID), 10, 64); err == nil {
			return createdObject{"account:" + strconv.FormatInt(id, 10), ""}
		}
	}
	return createdObject{}
}

// clientUsage serves GET /admin/v1/clients/{client_id}/usage: how many
// tokens the client obtained and when it last did.
func (h *Handler) clientUsage(w http.ResponseWriter, r *http.Request) error {
	c, err := h.loadClient(r)
	if err != nil {
		return err
	}
	out := wire.ClientUsage{ClientID: c.ID, Environment: c.Environment}
	u, err := h.store.ClientUsage(r.Context(), c.ID)
	switch {
	case err == nil:
		last := u.LastUsedAt.UTC()
		out.Tokens, out.LastUsedAt = u.Tokens, &last
	case gatehouse.ErrorCode(err) != gatehouse.ENOTFOUND:
		return fmt.Errorf("load usage of client %s: %w", c.ID, err)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
