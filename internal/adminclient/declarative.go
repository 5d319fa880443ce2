package adminclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// ApplyResult is the answer of an apply.
type ApplyResult = wire.ApplyResult

// ExportQuery selects what Export describes.
type ExportQuery struct {
	Environment   string
	AccountID     int64
	IncludeHashes bool
}

// Export returns the server as a Gatehouse file (GET /admin/v1/export).
func (c *API) Export(ctx context.Context, q ExportQuery) (*wire.Document, error) {
	v := url.Values{}
	if q.Environment != "" {
		v.Set("env", q.Environment)
	}
	if q.AccountID != 0 {
		v.Set("account", strconv.FormatInt(q.AccountID, 10))
	}
	if q.IncludeHashes {
		v.Set("include_hashes", "true")
	}
	u := c.base + "/export"
	if len(v) > 0 {
		u += "?" + v.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("admin API request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if c.adminKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.adminKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin API GET /admin/v1/export: %w", err)
	}
	defer resp.Body.Close()
	// A whole server's description may be larger than other answers.
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16*maxAnswerBytes))
	if err != nil {
		return nil, fmt.Errorf("admin API GET /admin/v1/export: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, answerError(resp, b)
	}
	var doc wire.Document
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("admin API GET /admin/v1/export: decode answer: %w", err)
	}
	return &doc, nil
}

// Apply sends a Gatehouse file (with its secret references resolved) to
// POST /admin/v1/apply.
func (c *API) Apply(ctx context.Context, doc *wire.Document, dryRun, prune bool) (*ApplyResult, error) {
	q := url.Values{}
	if dryRun {
		q.Set("dry_run", "true")
	}
	if prune {
		q.Set("prune", "true")
	}
	return call[ApplyResult](ctx, c, http.MethodPost, "/apply", q, doc)
}
