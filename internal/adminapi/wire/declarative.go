package wire

import (
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/gatefile"
)

// Document is a Gatehouse file as JSON: the answer of GET /admin/v1/export
// and the body of POST /admin/v1/apply.
type Document = gatefile.Document

// ApplyResult is the answer of POST /admin/v1/apply: the plan, and whether
// it was written. Credentials and Invitations (set only when applied) hold
// the new secrets, API keys and invitation links, shown this once.
type ApplyResult struct {
	Applied     bool            `json:"applied"`
	DryRun      bool            `json:"dry_run"`
	Changes     []PlanChange    `json:"changes"`
	Credentials []NewCredential `json:"credentials,omitempty"`
	Invitations []NewInvitation `json:"invitations,omitempty"`
}

// PlanChange is one change of the plan: create, update, delete or revoke an
// environment, account, user or client.
type PlanChange struct {
	Action string        `json:"action"`
	Kind   string        `json:"kind"`
	Key    string        `json:"key"`
	Fields []FieldChange `json:"fields,omitempty"`
}

// FieldChange is one changed field; credential material shows no value.
type FieldChange struct {
	Field string `json:"field"`
	From  string `json:"from,omitempty"`
	To    string `json:"to,omitempty"`
}

// NewCredential is a secret the apply generated (ClientSecret) or was given
// (ClientSecret empty), with its API key where the client id has the
// native form.
type NewCredential struct {
	ClientID     string `json:"client_id"`
	Environment  string `json:"environment"`
	ClientSecret string `json:"client_secret,omitempty"`
	APIKey       string `json:"api_key,omitempty"`
}

// NewInvitation is an invitation the apply sent, with its link.
type NewInvitation struct {
	Email     string    `json:"email"`
	AccountID int64     `json:"account_id"`
	Role      string    `json:"role"`
	Link      string    `json:"link"`
	ExpiresAt time.Time `json:"expires_at"`
}
