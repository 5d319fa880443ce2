package adminclient

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// The admin API's JSON shapes for bans and the audit log.
type (
	Ban        = wire.Ban
	AuditEvent = wire.AuditEvent
	AuditPage  = wire.AuditPage
)

// Bans returns the IP bans in force.
func (c *API) Bans(ctx context.Context) ([]Ban, error) {
	out, err := call[wire.BanList](ctx, c, http.MethodGet, "/bans", nil, nil)
	if err != nil {
		return nil, err
	}
	return out.Items, nil
}

// LiftBan lifts the ban of an IP address (or IPv6 /64); an *Error with
// code not_found if there is none.
func (c *API) LiftBan(ctx context.Context, subject string) error {
	_, err := call[wire.LiftedBan](ctx, c, http.MethodDelete, "/bans/"+url.PathEscape(subject), nil, nil)
	return err
}

// AuditQuery selects audit events; zero fields select everything.
type AuditQuery struct {
	Actor, Action, Object, Environment string
	Since, Until                       time.Time
	AfterID, BeforeID                  int64
	Limit                              int
	Newest                             bool // newest first
}

func (q AuditQuery) values() url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"actor": q.Actor, "action": q.Action, "object": q.Object, "environment": q.Environment} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if !q.Since.IsZero() {
		v.Set("since", q.Since.UTC().Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.UTC().Format(time.RFC3339Nano))
	}
	if q.AfterID > 0 {
		v.Set("after", strconv.FormatInt(q.AfterID, 10))
	}
	if q.BeforeID > 0 {
		v.Set("before", strconv.FormatInt(q.BeforeID, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.Newest {
		v.Set("order", "desc")
	}
	return v
}

// AuditEvents returns a page of audit events.
func (c *API) AuditEvents(ctx context.Context, q AuditQuery) (*AuditPage, error) {
	return call[AuditPage](ctx, c, http.MethodGet, "/audit", q.values(), nil)
}

// ClientUsage returns how many tokens a client obtained and when it last did.
func (c *API) ClientUsage(ctx context.Context, clientID string) (*wire.ClientUsage, error) {
	return call[wire.ClientUsage](ctx, c, http.MethodGet, "/clients/"+url.PathEscape(clientID)+"/usage", nil, nil)
}
