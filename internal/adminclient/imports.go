package adminclient

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"

	"github.com/gatehouse-dev/gatehouse/internal/adminapi/wire"
)

// ImportReport is the answer of an import.
type ImportReport = wire.ImportReport

// ImportOptions say how the server reads an import file.
type ImportOptions struct {
	Apply bool
	// Format is csv, jsonl, keycloak or hydra; "" lets the server tell.
	Format string
	// Environment and Account choose the environment and account of the
	// clients (required or defaulted per format; see docs/migrating.md).
	Environment string
	Account     string
	// Secrets is a Hydra list's secrets file (CSV), or nil.
	Secrets io.Reader
}

// Import sends an import file (CSV or JSON Lines) to POST /admin/v1/import:
// a dry run unless apply.
func (c *API) Import(ctx context.Context, file io.Reader, apply bool) (*ImportReport, error) {
	return c.ImportFile(ctx, file, ImportOptions{Apply: apply})
}

// ImportFile sends an import file of any format to POST /admin/v1/import,
// with a Hydra secrets file as a second part of a multipart body.
func (c *API) ImportFile(ctx context.Context, file io.Reader, o ImportOptions) (*ImportReport, error) {
	q := url.Values{}
	if o.Apply {
		q.Set("apply", "true")
	}
	for k, v := range map[string]string{"format": o.Format, "env": o.Environment, "account": o.Account} {
		if v != "" {
			q.Set(k, v)
		}
	}
	u := c.base + "/import"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	body, contentType := file, "application/octet-stream"
	if o.Secrets != nil {
		pr, pw := io.Pipe()
		mw := multipart.NewWriter(pw)
		go func() {
			pw.CloseWithError(writeImportParts(mw, file, o.Secrets))
		}()
		body, contentType = pr, mw.FormDataContentType()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, body)
	if err != nil {
		return nil, fmt.Errorf("admin API request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", contentType)
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

func writeImportParts(mw *multipart.Writer, file, secrets io.Reader) error {
	for _, p := range []struct {
		name string
		r    io.Reader
	}{{"file", file}, {"secrets", secrets}} {
		w, err := mw.CreateFormFile(p.name, p.name)
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, p.r); err != nil {
			return err
		}
	}
	return mw.Close()
}
