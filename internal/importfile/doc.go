// Package importfile reads the files "gatehouse import" takes (CSV and JSON
// Lines of clients exported from another server, a Keycloak realm export,
// an Ory Hydra client list with its secrets file) into the rows the service
// layer (internal/manage) imports. It only reads: it writes nothing, and it
// must not import the storage, HTTP or CLI packages.
package importfile
