package adminclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// ImportReport is the answer of an import.
type ImportReport = wire.ImportReport

// Import sends an import file (CSV or JSON Lines) to POST /admin/v1/import:
// a dry run unless apply.
func (c *API) Import(ctx context.Context, file io.Reader, apply bool) (*ImportReport, error) {
	u := c.base + "/import"
	if apply {
		u += "?apply=true"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, file)
	if err != nil {
		return nil, fmt.Errorf("admin API request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "text/csv")
	if c.adminKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.adminKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin API POST /admin/v1/import: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 4*maxAnswerBytes))
	if err != nil {
		return nil, fmt.Errorf("admin API POST /admin/v1/import: read answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, answerError(resp, b)
	}
	var rep ImportReport
	if err := json.Unmarshal(b, &rep); err != nil {
		return nil, fmt.Errorf("admin API POST /admin/v1/import: decode answer: %w", err)
	}
	return &rep, nil
}
