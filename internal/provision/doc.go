// Package provision creates environments: the environment itself and its
// first active signing key, in one place that the admin API (POST
// /admin/v1/environments) and the first-start bootstrap can share. Every
// step checks before it creates, so a provisioning interrupted half-way
// completes when it runs again.
//
// It must not import net/http, database/sql or internal/sqlstore.
package provision
