// Package wire holds the JSON shapes of the admin API (/admin/v1/): request
// bodies, resources and pages. The server (internal/adminapi) and the Go
// client (internal/adminclient) share them, so a field is named in one place.
//
// It is a leaf package: it imports only the standard library, never the
// domain, storage or HTTP code, so that importing it from the command line
// pulls in no server code.
package wire
