package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse-dev/gatehouse/internal/adminclient"
)

// newAuditCommand returns `gatehouse audit`, which reads the audit log
// through the admin API.
func newAuditCommand() *cobra.Command {
	var af adminFlags
	cmd := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log",
		Long: `The audit log records who did what to which credential, when, from where and
with what result: admin actions, secret reveals, failed client
authentications, allowlist rejections and IP bans. It never holds a secret.
For a full export use GET /admin/v1/audit/export (JSON lines).`,
		Example: `  gatehouse audit tail
  gatehouse audit tail --follow --action token.auth_failure`,
	}
	af.register(cmd)
	cmd.AddCommand(newAuditTailCommand(&af))
	return cmd
}

func newAuditTailCommand(af *adminFlags) *cobra.Command {
	var (
		q        adminclient.AuditQuery
		lines    int
		follow   bool
		interval time.Duration
	)
	cmd := &cobra.Command{
		Use:   "tail",
		Short: "Print the latest audit events, and with --follow new ones as they come",
		Long: `Print the latest audit events, oldest first. With --follow, keep printing new
events until interrupted. With --json, each event is one JSON object per line.`,
		Example: `  gatehouse audit tail -n 50
  gatehouse audit tail --follow --json --env production`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if lines < 1 || lines > 500 {
				return fmt.Errorf("--lines must be between 1 and 500")
			}
			if interval < 100*time.Millisecond {
				return fmt.Errorf("--interval must be at least 100ms")
			}
			api, err := af.api()
			if err != nil {
				return err
			}
			return tailAudit(cmd.Context(), api, q, lines, follow, interval, cmd.OutOrStdout(), af.json)
		},
	}
	fs := cmd.Flags()
	fs.IntVarP(&lines, "lines", "n", 20, "how many of the latest events to print first")
	fs.BoolVarP(&follow, "follow", "f", false, "keep printing new events")
	fs.DurationVar(&interval, "interval", time.Second, "how often --follow asks for new events")
	fs.StringVar(&q.Actor, "actor", "", "only events of this actor (client:<id>, user:<email>, anonymous, system)")
	fs.StringVar(&q.Action, "action", "", "only events of this action (client.create, token.auth_failure, ip.ban, ...)")
	fs.StringVar(&q.Object, "object", "", "only events about this object (client:<id>, ip:<address>)")
	fs.StringVar(&q.Environment, "env", "", "only events in this environment")
	return cmd
}

// tailAudit prints the last n events matching q and, if follow, the new
// ones until ctx ends.
func tailAudit(ctx context.Context, api *adminclient.API, q adminclient.AuditQuery, n int, follow bool, interval time.Duration, w io.Writer, asJSON bool) error {
	latest := q
	latest.Newest, latest.Limit = true, n
	page, err := api.AuditEvents(ctx, latest)
	if err != nil {
		return err
	}
	events := page.Items
	slices.Reverse(events)
	var last int64
	for _, e := range events {
		if err := printAuditEvent(w, e, asJSON); err != nil {
			return err
		}
		last = e.ID
	}
	if !follow {
		return nil
	}
	q.Limit = 500
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		for {
			q.AfterID = last
			page, err := api.AuditEvents(ctx, q)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			for _, e := range page.Items {
				if err := printAuditEvent(w, e, asJSON); err != nil {
					return err
				}
				last = e.ID
			}
			if page.NextAfter == nil {
				break
			}
		}
	}
}

// printAuditEvent writes one event as a line of text or of JSON.
func printAuditEvent(w io.Writer, e adminclient.AuditEvent, asJSON bool) error {
	if asJSON {
		b, err := json.Marshal(e)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	_, err := fmt.Fprintf(w, "%s  %-7s  %-22s  actor=%s object=%s env=%s ip=%s  %s\n",
		e.Time.UTC().Format(time.RFC3339), e.Outcome, e.Action, e.Actor, orDash(e.Object), orDash(e.Environment),
		orDash(e.SourceIP), e.Detail)
	return err
}
