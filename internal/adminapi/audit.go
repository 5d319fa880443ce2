package adminapi

import (
	"context"
	"net/http"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

// serviceAudited reports whether the service records a route's calls
// itself: the successful mutations of clients, accounts (and their users)
// and environments, in the transaction of the change, and every reveal
// attempt. Signing-key rotation and bans are recorded here.
func serviceAudited(rt route) bool {
	switch {
	case strings.HasPrefix(rt.path, Prefix+"environments/{env}/keys"):
		return false // signing keys
	case strings.HasPrefix(rt.path, Prefix+"clients"), strings.HasPrefix(rt.path, Prefix+"accounts"),
		strings.HasPrefix(rt.path, Prefix+"environments"), strings.HasPrefix(rt.path, Prefix+"invitations"),
		rt.path == Prefix+"apply":
		return true
	}
	return false
}

// refused is called for a request refused before its handler ran. A call
// without a valid credential (401) or from a banned address (429) was
// recorded and counted toward a ban by the authentication itself (the
// token endpoint's guard); a caller lacking the route's scope (403) is
// recorded here, reads included, with the route and never a credential.
func (h *Handler) refused(r *http.Request, rt route, p *gatehouse.Principal, err error) {
	if h.audit == nil || p == nil || gatehouse.ErrorCode(err) != gatehouse.EFORBIDDEN {
		return
	}
	action, object := auditAction(rt, r)
	e := &gatehouse.AuditEvent{
		Time: h.now().UTC(), Actor: p.Actor(), SourceIP: remoteIP(r), Action: action, Object: object,
		Environment: r.PathValue("env"), Outcome: gatehouse.OutcomeDenied, Detail: "error forbidden: missing scope",
	}
	if aerr := h.audit.AppendAudit(context.WithoutCancel(r.Context()), e); aerr != nil {
		h.logger.ErrorContext(r.Context(), "admin API: audit of a refused call failed", "action", action, "err", aerr)
	}
}

// auditMutation records a mutation the service did not record: a refused
// or failed one (who, from where, which route, the error code), or a
// successful one outside the service (signing-key rotation, lifting a ban).
// Reads are not audited.
func (h *Handler) auditMutation(r *http.Request, rt route, p *gatehouse.Principal, err error) {
	if h.audit == nil || rt.method == http.MethodGet || strings.HasSuffix(rt.path, "/reveal") ||
		(err == nil && serviceAudited(rt)) {
		return
	}
	action, object := auditAction(rt, r)
	e := &gatehouse.AuditEvent{
		Time: h.now().UTC(), Actor: p.Actor(), SourceIP: remoteIP(r), Action: action, Object: object,
		Environment: r.PathValue("env"), Outcome: gatehouse.OutcomeSuccess,
	}
	if err != nil {
		e.Outcome = gatehouse.OutcomeFailure
		if code := gatehouse.ErrorCode(err); code != gatehouse.EINTERNAL && code != gatehouse.EUNAVAILABLE {
			e.Outcome = gatehouse.OutcomeDenied
		}
		e.Detail = "error " + gatehouse.ErrorCode(err)
	}
	ctx := context.WithoutCancel(r.Context())
	if id, ok := strings.CutPrefix(e.Object, "client:"); ok && e.Environment == "" {
		if c, cerr := h.store.Client(ctx, id); cerr == nil {
			e.Environment = c.Environment
		}
	}
	if aerr := h.audit.AppendAudit(ctx, e); aerr != nil {
		h.logger.ErrorContext(r.Context(), "admin API: audit of a mutation failed", "action", action, "object", object, "err", aerr)
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
			http.MethodGet: "read", http.MethodPost: "create", http.MethodPut: "update", http.MethodPatch: "update", http.MethodDelete: "delete",
		}[rt.method])
	}
	return strings.Join(parts, "."), object
}
