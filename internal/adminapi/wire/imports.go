package wire

// ImportReport is the answer of POST /admin/v1/import: what was (Applied)
// or would be written, row by row. It never holds a credential.
type ImportReport struct {
	Applied bool           `json:"applied"`
	Created int            `json:"created"`
	Updated int            `json:"updated"`
	Skipped int            `json:"skipped"`
	Refused int            `json:"refused"`
	Rows    []ImportResult `json:"rows"`
}

// ImportResult is the outcome of one row: create, update, skip or refuse.
type ImportResult struct {
	Line     int    `json:"line"`
	ClientID string `json:"client_id,omitempty"`
	Action   string `json:"action"`
	Reason   string `json:"reason,omitempty"`
}
