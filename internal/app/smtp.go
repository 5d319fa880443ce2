package app

import (
	"github.com/gatehouse-dev/gatehouse/internal/mail"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// SMTPConfig is the SMTP server that emails invitation links (optional:
// without a host the inviter passes the link on). The password comes from
// the config file or GATEHOUSE_SMTP_PASSWORD, never from a flag.
type SMTPConfig struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"` // default 587
	From     string `yaml:"from"`
	Username string `yaml:"username"`
	Password string `yaml:"password"`
}

// mailer returns the invitation mailer the configuration asks for, nil when
// no SMTP host is set.
func (c SMTPConfig) mailer() (manage.Mailer, error) {
	if c.Host == "" {
		return nil, nil
	}
	m := &mail.SMTP{Host: c.Host, Port: c.Port, From: c.From, Username: c.Username, Password: c.Password}
	if m.Port == 0 {
		m.Port = 587
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}
