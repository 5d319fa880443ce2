// Package gatefile is the format of a Gatehouse file (gatehouse.yaml): the
// declarative description of environments, accounts, account users and
// clients that `gatehouse export` writes and `gatehouse apply` makes a
// server match (docs/declarative.md, docs/gatehouse-file.schema.json).
//
// The same types carry the document as YAML (the file) and as JSON (the
// body of the admin API's export and apply endpoints). The two differ in one
// place only: a client's secret reference (secret_from_env,
// secret_from_file) exists in the file and is resolved by the CLI, which
// sends the secret itself (secret) to the server; a file never holds a
// secret.
//
// Encode writes a document deterministically (every list in a fixed order,
// fixed field order), so that exporting an unchanged server twice gives the
// same bytes. It must not import net/http or database/sql.
package gatefile
