package dashboard

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
)

// usageDays is how many days the usage chart covers.
const usageDays = 30

// usagePage shows an environment's token usage over 30 days: a chart of
// the account's tokens per day (or one credential's), the credentials by
// tokens issued, and recent refused requests with their reasons.
type usagePage struct {
	Env      string
	Chart    usageChart
	ClientID string // the credential the chart is limited to, "" for all
	Clients  []clientTotal
	Refusals []*gatehouse.AuditEvent
	Account  int64
}

type clientTotal struct {
	ID, Name string
	Tokens   int64
}

func (d *Dashboard) usage(w http.ResponseWriter, r *http.Request, c *Caller) {
	env, ok := d.environment(w, r, c)
	if !ok {
		return
	}
	p := principalOf(r, c)
	account := c.User.AccountID
	clientID := r.URL.Query().Get("client")
	title := "Tokens issued per day in " + env
	names := map[string]string{}
	if clientID != "" {
		cl, err := d.manage.Client(r.Context(), p, clientID)
		if err == nil && cl.Environment != env {
			err = gatehouse.Errorf(gatehouse.ENOTFOUND, "client not found")
		}
		if err != nil {
			d.fail(w, r, c, err)
			return
		}
		account, title = cl.AccountID, "Tokens issued per day to "+cl.Name
		names[cl.ID] = cl.Name
	}
	page := usagePage{Env: env, ClientID: clientID, Account: account}
	if account != 0 {
		now := d.now()
		daily, err := d.manage.DailyUsage(r.Context(), p, gatehouse.UsageFilter{
			AccountID: account, Environment: env, ClientID: clientID, Since: now.AddDate(0, 0, -(usageDays - 1)),
		})
		if err != nil {
			d.fail(w, r, c, err)
			return
		}
		page.Chart = newUsageChart(title, daily, now, usageDays)
		page.Clients = d.clientTotals(r, p, env, daily, names)
		f := gatehouse.AuditFilter{AccountID: account, Environment: env}
		if clientID != "" {
			f.Object = "client:" + clientID
		}
		page.Refusals, err = d.refusals(r.Context(), p, f)
		if err != nil {
			d.fail(w, r, c, err)
			return
		}
	}
	d.render(w, r, c, http.StatusOK, "usage", &Page{Title: "Usage · " + env, Nav: "usage", Env: env, Data: page})
}

// clientTotals sums the 30 days per credential, most tokens first, naming
// each from the account's credential list.
func (d *Dashboard) clientTotals(r *http.Request, p *gatehouse.Principal, env string, daily []gatehouse.DailyUsage, names map[string]string) []clientTotal {
	totals := map[string]int64{}
	for _, u := range daily {
		totals[u.ClientID] += u.Tokens
	}
	if len(names) == 0 && len(totals) > 0 {
		list, err := d.manage.Clients(r.Context(), p, gatehouse.ClientFilter{Environment: env, Limit: 1000})
		if err == nil {
			for _, cl := range list {
				names[cl.ID] = cl.Name
			}
		}
	}
	out := make([]clientTotal, 0, len(totals))
	for id, n := range totals {
		out = append(out, clientTotal{ID: id, Name: names[id], Tokens: n})
	}
	slices.SortFunc(out, func(a, b clientTotal) int {
		if a.Tokens != b.Tokens {
			return int(b.Tokens - a.Tokens)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return out
}
