package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
	"github.com/gatehouse-dev/gatehouse/internal/app"
)

// signedInClient signs in through the sign-in form over HTTP and returns
// an HTTP client that carries the session cookie.
func signedInClient(tb testing.TB, s *server, email, pw string) *http.Client {
	tb.Helper()
	jar, _ := cookiejar.New(nil)
	hc := &http.Client{Jar: jar}
	resp, err := hc.Get(s.URL + "/ui/signin")
	if err != nil {
		tb.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(body)
	if m == nil {
		tb.Fatal("the sign-in page has no CSRF field")
	}
	resp, err = hc.PostForm(s.URL+"/ui/signin", url.Values{"csrf": {string(m[1])}, "email": {email}, "password": {pw}})
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Request.URL.Path, "/ui/") || resp.Request.URL.Path == "/ui/signin" {
		tb.Fatalf("sign-in over HTTP ended at %s with %d", resp.Request.URL, resp.StatusCode)
	}
	return hc
}

// BenchmarkDashboardCredentialsPage renders the credentials page of an
// account with 1,000 credentials, each with usage, through the real server
// and sign-in, and reports the latency percentiles of the page.
func BenchmarkDashboardCredentialsPage(b *testing.B) {
	s := startServer(b, app.Config{})
	ctx := context.Background()
	a, err := s.Admin.CreateAccount(ctx, "Bulk")
	if err != nil {
		b.Fatal(err)
	}
	const n = 1000
	for i := range n {
		c, err := s.Admin.CreateClient(ctx, wire.CreateClientRequest{Environment: "sandbox", Name: fmt.Sprintf("bulk-%04d", i), AccountID: a.ID, Scopes: []string{"ledger:read"}})
		if err != nil {
			b.Fatal(err)
		}
		if i%10 == 0 { // some of them have usage
			tokenStatus(b, s, c.ClientID, c.ClientSecret)
		}
	}
	email := "owner@bulk.example"
	pw := s.createUser(b, email, a.ID, "owner")
	hc := signedInClient(b, s, email, pw)
	get := func() time.Duration {
		start := time.Now()
		resp, err := hc.Get(s.URL + "/ui/env/sandbox/credentials")
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if resp.StatusCode != http.StatusOK || strings.Count(string(body), "<tr data-client=") != credentialsPageRows {
			b.Fatalf("credentials page: %d with %d rows", resp.StatusCode, strings.Count(string(body), "<tr data-client="))
		}
		return d
	}
	get() // warm up
	b.ResetTimer()
	lat := make([]time.Duration, 0, b.N)
	for range b.N {
		lat = append(lat, get())
	}
	b.StopTimer()
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)].Microseconds()) / 1000 }
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

// credentialsPageRows is how many credentials one page of the list shows.
const credentialsPageRows = 200

// tokenStatus asks for a token with Basic credentials and returns the
// status.
func tokenStatus(tb testing.TB, s *server, id, secret string) int {
	tb.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.tokenURL("sandbox"), strings.NewReader("grant_type=client_credentials"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(id), url.QueryEscape(secret))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}
