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
	// Line is the row's line in its file; 0 in a JSON document that is
	// not one object a line, where Path says where the row is.
	Line int `json:"line"`
	// Path is where the row is in such a document, e.g.
	// "realms[0].clients[3]" in a Keycloak realm export or "items[2]" in a
	// Hydra client list; "secrets:4" is line 4 of a Hydra secrets file.
	Path     string `json:"path,omitempty"`
	ClientID string `json:"client_id,omitempty"`
	Action   string `json:"action"`
	Reason   string `json:"reason,omitempty"`
}
