package manage

import "context"

// InvitationEmail is what a Mailer sends: the link to accept an invitation.
type InvitationEmail struct {
	To          string
	AccountName string
	Role        string
	InvitedBy   string
	Link        string
}

// Mailer sends invitation emails (internal/mail has an SMTP one).
type Mailer interface {
	SendInvitation(ctx context.Context, m InvitationEmail) error
}
