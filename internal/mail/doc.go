// Package mail sends the emails Gatehouse sends, today the invitation
// links of the User API, through an SMTP server (net/smtp): STARTTLS when
// the server offers it, PLAIN authentication when a username is set.
//
// It implements manage.Mailer. It must not import net/http, database/sql or
// other internal packages than internal/manage; it never logs a password or
// a link.
package mail
