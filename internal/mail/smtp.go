package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/mail"
	"net/smtp"
	"strconv"
	"strings"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// SMTP sends mail through one SMTP server. Host, Port and From are
// required.
type SMTP struct {
	Host     string
	Port     int
	From     string // the sender address
	Username string // empty: no authentication
	Password string
	// Timeout bounds one delivery; zero means 30 seconds.
	Timeout time.Duration
	// TLSConfig is used for STARTTLS; nil verifies the server as Host.
	TLSConfig *tls.Config
	// Now dates messages; nil is time.Now.
	Now func() time.Time
}

var _ manage.Mailer = (*SMTP)(nil)

// Validate checks the settings.
func (s *SMTP) Validate() error {
	if s.Host == "" || s.Port <= 0 || s.Port > 65535 {
		return errors.New("smtp: host and a port between 1 and 65535 are required")
	}
	if a, err := mail.ParseAddress(s.From); err != nil || a.Address == "" {
		return fmt.Errorf("smtp: from %q is not an email address", s.From)
	}
	return nil
}

// SendInvitation emails the link of an invitation.
func (s *SMTP) SendInvitation(ctx context.Context, m manage.InvitationEmail) error {
	subject := fmt.Sprintf("You are invited to %s on Gatehouse", m.AccountName)
	body := fmt.Sprintf("Hello,\r\n\r\n%s invited you to join %s as %s.\r\n\r\n"+
		"Open this link to choose your password and sign in (it works once, for 7 days):\r\n\r\n%s\r\n\r\n"+
		"If you did not expect this invitation, ignore this email.\r\n",
		m.InvitedBy, m.AccountName, m.Role, m.Link)
	return s.send(ctx, m.To, subject, body)
}

// send delivers one plain-text message.
func (s *SMTP) send(ctx context.Context, to, subject, body string) error {
	if err := s.Validate(); err != nil {
		return err
	}
	from, err := mail.ParseAddress(s.From)
	if err != nil {
		return err
	}
	rcpt, err := mail.ParseAddress(to)
	if err != nil {
		return fmt.Errorf("smtp: recipient %q is not an email address", to)
	}
	for _, v := range []string{subject, rcpt.Address, from.Address} {
		if strings.ContainsAny(v, "\r\n") {
			return errors.New("smtp: header values must be single lines")
		}
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("smtp: connect to %s: %w", addr, err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		conn.SetDeadline(deadline)
	}
	c, err := smtp.NewClient(conn, s.Host)
	if err != nil {
		return fmt.Errorf("smtp: %s: %w", addr, err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := s.TLSConfig
		if cfg == nil {
			cfg = &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("smtp: STARTTLS with %s: %w", addr, err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, s.Host)); err != nil {
			return fmt.Errorf("smtp: authenticate as %s: %w", s.Username, err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return fmt.Errorf("smtp: MAIL FROM: %w", err)
	}
	if err := c.Rcpt(rcpt.Address); err != nil {
		return fmt.Errorf("smtp: RCPT TO: %w", err)
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: DATA: %w", err)
	}
	msg := "From: " + from.String() + "\r\n" +
		"To: " + rcpt.String() + "\r\n" +
		"Subject: " + mime.QEncoding.Encode("utf-8", subject) + "\r\n" +
		"Date: " + now().UTC().Format(time.RFC1123Z) + "\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
	if _, err := w.Write([]byte(msg)); err != nil {
		return fmt.Errorf("smtp: write message: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("smtp: message refused: %w", err)
	}
	return c.Quit()
}
