package e2e

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// BenchmarkImport100kCSV imports a CSV of 100,000 clients (a third each with
// a bcrypt hash, a salted SHA-256 hash and a plain strong secret) through
// POST /admin/v1/import?apply=true into a server on SQLite, and reports the
// seconds per import and the peak RSS of the process (server and client).
func BenchmarkImport100kCSV(b *testing.B) {
	const rows = 100_000
	bc := mustBcrypt(b, importedSecret)
	var sb strings.Builder
	sb.WriteString("client_id,secret,secret_hash,account,environment,scopes,allowed_cidrs,name\n")
	for i := range rows {
		switch i % 3 {
		case 0:
			fmt.Fprintf(&sb, "svc-%d,,%s,Account %d,sandbox,ledger:read,,Service %d\n", i, bc, i%500, i)
		case 1:
			fmt.Fprintf(&sb, "svc-%d,,sha256$salt%d$%064x,Account %d,sandbox,ledger:read feed:read,10.0.0.0/8,Service %d\n", i, i, i, i%500, i)
		default:
			fmt.Fprintf(&sb, "svc-%d,%s%d,,Account %d,production,wallet:read,,Service %d\n", i, importedSecret, i, i%500, i)
		}
	}
	file := sb.String()
	for b.Loop() {
		b.StopTimer()
		s := startServer(b, app.Config{})
		b.StartTimer()
		start := time.Now()
		rep, err := s.Admin.Import(context.Background(), strings.NewReader(file), true)
		if err != nil || !rep.Applied || rep.Created != rows {
			b.Fatalf("import: %v (%d created)", err, rep.Created)
		}
		b.ReportMetric(time.Since(start).Seconds(), "s/import")
		b.StopTimer()
		s.stop()
		b.StartTimer()
	}
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err == nil {
		b.ReportMetric(float64(ru.Maxrss)/1024, "peak-RSS-MB")
	}
	b.ReportMetric(float64(len(file))/(1<<20), "file-MB")
}
