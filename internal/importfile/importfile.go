package importfile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

// Columns are the fields of a row, in CSV headers and JSON Lines objects.
// scopes and allowed_cidrs are lists: JSON arrays, or strings separated by
// spaces or commas. must_rotate is a boolean (JSON true or false; in CSV
// true, false, yes, no, 1, 0 or empty for false): a row with it true
// carries no credential and imports its client in the must-rotate state.
var Columns = []string{"client_id", "secret", "secret_hash", "api_key", "account", "environment", "scopes", "allowed_cidrs", "name", "must_rotate"}

// MaxRows bounds the rows of one file.
const MaxRows = 1_000_000

// Formats of import files.
const (
	FormatCSV      = "csv"      // a header line naming its Columns, then a row a line
	FormatJSONL    = "jsonl"    // JSON Lines: an object with the Columns' fields a line
	FormatKeycloak = "keycloak" // a Keycloak realm export (keycloak.go)
	FormatHydra    = "hydra"    // an Ory Hydra client list (hydra.go)
)

// Formats lists the formats Read takes.
var Formats = []string{FormatCSV, FormatJSONL, FormatKeycloak, FormatHydra}

// Options say how to read a file.
type Options struct {
	// Format is one of Formats; "" tells it from the content (Sniff).
	Format string
	// Environment is the environment of every client: a Keycloak client's
	// instead of its realm's name; required for a Hydra list, which has no
	// environments; for CSV and JSON Lines, that of rows that name none.
	Environment string
	// Account is the account (an id, or a name) of every client: a
	// Keycloak client's instead of its realm's name, a Hydra client's
	// instead of its owner; for CSV and JSON Lines, that of rows that name
	// none.
	Account string
	// Secrets is the secrets file joined to a Hydra list by client_id (CSV:
	// client_id, and secret or secret_hash); Hydra lists carry no secrets.
	Secrets io.Reader
}

// Read reads a CSV file (with a header line naming its columns) or a JSON
// Lines file (one object per line; told apart by a first character "{").
// A row that cannot be read is returned with its Problem set, so that the
// report lists every bad row; a file that cannot be read at all is an
// invalid-input error.
func Read(r io.Reader) ([]manage.ImportClient, error) {
	return ReadFile(r, Options{})
}

// ReadFile reads an import file of any of the Formats as o says. Like Read,
// a row that cannot be read carries its Problem, and a file that cannot be
// read at all is an invalid-input error.
func ReadFile(r io.Reader, o Options) ([]manage.ImportClient, error) {
	br := bufio.NewReaderSize(r, 1<<16)
	format := o.Format
	if format == "" {
		head, _ := br.Peek(1 << 16)
		format = Sniff(head)
	}
	if o.Secrets != nil && format != FormatHydra {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "a secrets file goes with a Hydra client list only (this file is %s)", format)
	}
	var rows []manage.ImportClient
	var err error
	switch format {
	case FormatCSV:
		rows, err = readCSV(br)
	case FormatJSONL:
		rows, err = readJSONLines(br)
	case FormatKeycloak, FormatHydra:
		doc, rerr := io.ReadAll(br)
		if rerr != nil {
			return nil, rerr
		}
		if format == FormatKeycloak {
			return readKeycloak(doc, o)
		}
		return readHydra(doc, o)
	default:
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "format %q is not one of %s", format, strings.Join(Formats, ", "))
	}
	if err != nil {
		return nil, err
	}
	for i := range rows {
		if rows[i].Environment == "" {
			rows[i].Environment = o.Environment
		}
		if strings.TrimSpace(rows[i].Account) == "" {
			rows[i].Account = o.Account
		}
	}
	return rows, nil
}

// Sniff tells the format of a file from its beginning (head, as much as is
// at hand; a whole line at least for JSON Lines): a JSON array or an object
// spread over lines is a Keycloak realm export or a Hydra client list, told
// apart by their fields ("realm", "realms", "clients", "clientId" for
// Keycloak; "items", "client_id" for Hydra); an object a line is JSON Lines;
// anything else is CSV.
func Sniff(head []byte) string {
	head = bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xEF\xBB\xBF")), " \t\r\n")
	switch {
	case bytes.HasPrefix(head, []byte("[")):
		// An array of realms, or of Hydra clients.
		if bytes.Contains(head, []byte(`"client_id"`)) && !bytes.Contains(head, []byte(`"clientId"`)) {
			return FormatHydra
		}
		if bytes.Contains(head, []byte(`"realm"`)) || bytes.Contains(head, []byte(`"clientId"`)) {
			return FormatKeycloak
		}
		return FormatHydra
	case bytes.HasPrefix(head, []byte("{")):
		first, _, whole := bytes.Cut(head, []byte("\n"))
		var obj map[string]json.RawMessage
		switch {
		case json.Unmarshal(first, &obj) == nil:
			return docFormat(obj, FormatJSONL)
		case string(bytes.TrimSpace(first)) == "{" || !whole:
			// One object spread over lines, or one line longer than
			// head: a document, named by the fields seen.
			if bytes.Contains(head, []byte(`"realm`)) || bytes.Contains(head, []byte(`"clients"`)) {
				return FormatKeycloak
			}
			if bytes.Contains(head, []byte(`"items"`)) {
				return FormatHydra
			}
		}
		return FormatJSONL
	}
	return FormatCSV
}

// docFormat names the document whose top-level fields are obj, or returns
// otherwise.
func docFormat(obj map[string]json.RawMessage, otherwise string) string {
	for _, k := range []string{"realm", "realms", "clients"} {
		if _, ok := obj[k]; ok {
			return FormatKeycloak
		}
	}
	if _, ok := obj["items"]; ok {
		return FormatHydra
	}
	return otherwise
}

func readCSV(r io.Reader) ([]manage.ImportClient, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	col, err := readHeader(cr, "", Columns, "the file needs a header line naming its columns")
	if err != nil {
		return nil, err
	}
	var rows []manage.ImportClient
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return rows, nil
		}
		line, _ := cr.FieldPos(0)
		if len(rows) >= MaxRows {
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "a file holds at most %d rows", MaxRows)
		}
		var perr *csv.ParseError
		if errors.As(err, &perr) {
			rows = append(rows, manage.ImportClient{Line: perr.StartLine, Problem: "not valid CSV: " + perr.Err.Error()})
			continue
		} else if err != nil {
			return nil, fmt.Errorf("read CSV: %w", err)
		}
		if len(rec) != len(col) {
			rows = append(rows, manage.ImportClient{Line: line, Problem: fmt.Sprintf("%d fields, the header names %d", len(rec), len(col))})
			continue
		}
		get := func(name string) string {
			if i, ok := col[name]; ok {
				return rec[i]
			}
			return ""
		}
		row := manage.ImportClient{
			Line: line, ClientID: get("client_id"), Secret: get("secret"), SecretHash: get("secret_hash"),
			APIKey: get("api_key"), Account: get("account"), Environment: strings.TrimSpace(get("environment")),
			Scopes: list(get("scopes")), AllowedCIDRs: list(get("allowed_cidrs")), Name: get("name"),
		}
		var ok bool
		if row.MustRotate, ok = csvBool(get("must_rotate")); !ok {
			row.Problem = "must_rotate must be true or false"
		}
		rows = append(rows, row)
	}
}

// jsonRow is a JSON Lines object.
type jsonRow struct {
	ClientID     string          `json:"client_id"`
	Secret       string          `json:"secret"`
	SecretHash   string          `json:"secret_hash"`
	APIKey       string          `json:"api_key"`
	Account      json.RawMessage `json:"account"`
	Environment  string          `json:"environment"`
	Scopes       json.RawMessage `json:"scopes"`
	AllowedCIDRs json.RawMessage `json:"allowed_cidrs"`
	Name         string          `json:"name"`
	MustRotate   bool            `json:"must_rotate"`
}

func readJSONLines(r *bufio.Reader) ([]manage.ImportClient, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<16), 1<<20)
	var rows []manage.ImportClient
	for line := 1; sc.Scan(); line++ {
		text := bytes.TrimSpace(sc.Bytes())
		if len(text) == 0 {
			continue
		}
		if len(rows) >= MaxRows {
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "a file holds at most %d rows", MaxRows)
		}
		var j jsonRow
		dec := json.NewDecoder(bytes.NewReader(text))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&j); err != nil {
			// The decoder's message names a field or an offset, never a value.
			rows = append(rows, manage.ImportClient{Line: line, Problem: "not a valid row object: " + jsonProblem(err)})
			continue
		}
		row := manage.ImportClient{Line: line, ClientID: j.ClientID, Secret: j.Secret, SecretHash: j.SecretHash,
			APIKey: j.APIKey, Environment: strings.TrimSpace(j.Environment), Name: j.Name, MustRotate: j.MustRotate}
		var problems []string
		var ok bool
		if row.Account, ok = jsonScalar(j.Account); !ok {
			problems = append(problems, "account must be a number or a string")
		}
		if row.Scopes, ok = jsonList(j.Scopes); !ok {
			problems = append(problems, "scopes must be an array of strings or a string")
		}
		if row.AllowedCIDRs, ok = jsonList(j.AllowedCIDRs); !ok {
			problems = append(problems, "allowed_cidrs must be an array of strings or a string")
		}
		row.Problem = strings.Join(problems, "; ")
		rows = append(rows, row)
	}
	if err := sc.Err(); err != nil {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "read JSON Lines: %v", err)
	}
	return rows, nil
}

// jsonProblem describes a decoding error without quoting the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("syntax error at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s must be a %s", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return strings.TrimPrefix(err.Error(), "json: ")
	}
	return "cannot be decoded"
}

func jsonScalar(raw json.RawMessage) (string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String(), true
	}
	return "", false
}

func jsonList(raw json.RawMessage) ([]string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	var l []string
	if json.Unmarshal(raw, &l) == nil {
		return l, true
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return list(s), true
	}
	return nil, false
}

// csvBool reads a CSV boolean: true, yes or 1; false, no, 0 or empty.
func csvBool(s string) (v, ok bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "yes", "1":
		return true, true
	case "false", "no", "0", "":
		return false, true
	}
	return false, false
}

func list(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == ',' || r == '\t' })
}

// readHeader reads the header line of a CSV file and returns each named
// column's index. A column outside allowed, or named twice, refuses the
// file; where ("" or "secrets file, ") starts each error, and missing is
// the error of a file without a header line.
func readHeader(cr *csv.Reader, where string, allowed []string, missing string) (map[string]int, error) {
	header, err := cr.Read()
	if err != nil {
		return nil, gatehouse.Errorf(gatehouse.EINVALID, "%sline 1: %s", where, missing)
	}
	col := make(map[string]int, len(header))
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\xEF\xBB\xBF")))
		if !slices.Contains(allowed, h) {
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "%sline 1: unknown column %q (columns: %s)", where, h, strings.Join(allowed, ", "))
		}
		if _, dup := col[h]; dup {
			return nil, gatehouse.Errorf(gatehouse.EINVALID, "%sline 1: column %q appears twice", where, h)
		}
		col[h] = i
	}
	return col, nil
}
