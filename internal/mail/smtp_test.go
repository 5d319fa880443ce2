package mail

import (
	"bufio"
	"context"
	"encoding/base64"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// fakeSMTP is a minimal SMTP server on loopback that records one session.
type fakeSMTP struct {
	ln       net.Listener
	mu       sync.Mutex
	commands []string
	data     string
	reject   string // a command prefix answered with 550
}

func startFakeSMTP(t *testing.T) *fakeSMTP {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSMTP{ln: ln}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go f.serve(conn)
		}
	}()
	return f
}

func (f *fakeSMTP) serve(conn net.Conn) {
	defer conn.Close()
	r := bufio.NewReader(conn)
	say := func(s string) { conn.Write([]byte(s + "\r\n")) }
	say("220 fake ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		f.mu.Lock()
		f.commands = append(f.commands, line)
		reject := f.reject != "" && strings.HasPrefix(line, f.reject)
		f.mu.Unlock()
		switch {
		case reject:
			say("550 no")
		case strings.HasPrefix(line, "EHLO"):
			say("250-fake")
			say("250 AUTH PLAIN")
		case strings.HasPrefix(line, "AUTH PLAIN"):
			say("235 ok")
		case strings.HasPrefix(line, "DATA"):
			say("354 go on")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			f.mu.Lock()
			f.data = b.String()
			f.mu.Unlock()
			say("250 queued")
		case strings.HasPrefix(line, "QUIT"):
			say("221 bye")
			return
		default:
			say("250 ok")
		}
	}
}

func (f *fakeSMTP) port() int { return f.ln.Addr().(*net.TCPAddr).Port }

func TestSendInvitation(t *testing.T) {
	srv := startFakeSMTP(t)
	s := &SMTP{Host: "127.0.0.1", Port: srv.port(), From: "Gatehouse <noreply@provider.example>",
		Username: "mailer", Password: "smtp-secret", Now: func() time.Time { return time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC) }}
	link := "https://auth.example.com/ui/invitations/abc123"
	err := s.SendInvitation(context.Background(), manage.InvitationEmail{
		To: "dev@acme.example", AccountName: "Acme", Role: "developer", InvitedBy: "user:owner@acme.example", Link: link,
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	defer srv.mu.Unlock()
	cmds := strings.Join(srv.commands, "\n")
	for _, want := range []string{"MAIL FROM:<noreply@provider.example>", "RCPT TO:<dev@acme.example>", "QUIT"} {
		if !strings.Contains(cmds, want) {
			t.Errorf("the session lacks %q:\n%s", want, cmds)
		}
	}
	auth := base64.StdEncoding.EncodeToString([]byte("\x00mailer\x00smtp-secret"))
	if !strings.Contains(cmds, "AUTH PLAIN "+auth) {
		t.Errorf("no PLAIN authentication with the configured user:\n%s", cmds)
	}
	for _, want := range []string{"To: <dev@acme.example>", "Subject: You are invited to Acme on Gatehouse", link, "as developer", "Date: Sun, 01 Mar 2026 12:00:00 +0000"} {
		if !strings.Contains(srv.data, want) {
			t.Errorf("the message lacks %q:\n%s", want, srv.data)
		}
	}
}

func TestSendFailures(t *testing.T) {
	srv := startFakeSMTP(t)
	srv.reject = "RCPT"
	s := &SMTP{Host: "127.0.0.1", Port: srv.port(), From: "noreply@provider.example"}
	err := s.SendInvitation(context.Background(), manage.InvitationEmail{To: "dev@acme.example", Link: "x"})
	if err == nil || !strings.Contains(err.Error(), "RCPT TO") {
		t.Fatalf("a refused recipient: %v", err)
	}
	for name, bad := range map[string]*SMTP{
		"no host":    {Port: 25, From: "a@b.example"},
		"bad port":   {Host: "127.0.0.1", Port: 70000, From: "a@b.example"},
		"bad sender": {Host: "127.0.0.1", Port: 25, From: "nobody"},
	} {
		if err := bad.Validate(); err == nil {
			t.Errorf("%s: Validate accepted %+v", name, bad)
		}
	}
	err = s.SendInvitation(context.Background(), manage.InvitationEmail{To: "dev@acme.example\r\nBcc: x@evil.example", Link: "x"})
	if err == nil {
		t.Fatal("a recipient with a header injection was accepted")
	}
	closed, _ := net.Listen("tcp", "127.0.0.1:0")
	port := closed.Addr().(*net.TCPAddr).Port
	closed.Close()
	s = &SMTP{Host: "127.0.0.1", Port: port, From: "noreply@provider.example", Timeout: time.Second}
	if err := s.SendInvitation(context.Background(), manage.InvitationEmail{To: "dev@acme.example"}); err == nil ||
		!strings.Contains(err.Error(), strconv.Itoa(port)) {
		t.Fatalf("an unreachable server: %v", err)
	}
}
