package gatefile

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// TestEncodeIsCanonical: lists come out sorted whatever their order, and a
// decoded file encodes to the same bytes.
func TestEncodeIsCanonical(t *testing.T) {
	exp := time.Date(2026, 3, 2, 12, 0, 0, 123000, time.UTC)
	yes, alg := true, "EdDSA"
	doc := &Document{
		Version:      Version,
		Environments: []Environment{{Name: "staging", SigningAlgorithm: &alg}, {Name: "production", Production: &yes}},
		Accounts:     []Account{{ID: 9, Name: "Zeta"}, {ID: 2, Name: "true"}},
		Users:        []User{{Email: "b@x.example", Account: 9, Role: "viewer"}, {Email: "a@x.example", Account: 9, Role: "owner"}},
		Clients: []Client{
			{ID: "b", Environment: "staging", Account: 9, Name: "0042", Scopes: []string{"z", "a"},
				PublicKeyPEM: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----",
				Secrets:      []Secret{{SHA256: strings.Repeat("b", 64), CreatedAt: exp, ExpiresAt: &exp}, {Imported: "$2b$10$x", CreatedAt: exp.Add(-time.Hour)}}},
			{ID: "a", Environment: "staging", Account: 2, Name: "a"},
		},
	}
	var first bytes.Buffer
	if err := Encode(&first, doc); err != nil {
		t.Fatal(err)
	}
	out := first.String()
	for _, order := range [][2]string{{"name: production", "name: staging"}, {"id: 2", "id: 9"}, {"a@x.example", "b@x.example"},
		{"id: a", "id: b"}, {"- a\n", "- z\n"}, {"imported:", "sha256:"}} {
		if i, j := strings.Index(out, order[0]), strings.Index(out, order[1]); i < 0 || j < 0 || i > j {
			t.Errorf("%q does not come before %q:\n%s", order[0], order[1], out)
		}
	}
	for _, quoted := range []string{`name: "true"`, `name: "0042"`} {
		if !strings.Contains(out, quoted) {
			t.Errorf("a string that reads as another type is not quoted (%s):\n%s", quoted, out)
		}
	}
	back, err := Decode(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	var second bytes.Buffer
	if err := Encode(&second, back); err != nil {
		t.Fatal(err)
	}
	if second.String() != out {
		t.Fatalf("decode then encode changed the file:\n%s\n---\n%s", out, second.String())
	}
	if got := back.Clients[1].Secrets[1].ExpiresAt; got == nil || !got.Equal(exp) {
		t.Fatalf("expires_at read back as %v, want %v", got, exp)
	}
}

// TestDecodeRefusesWhatIsNotAGatehouseFile.
func TestDecodeRefusesWhatIsNotAGatehouseFile(t *testing.T) {
	for name, tc := range map[string]struct{ file, want string }{
		"empty":                 {"", "empty"},
		"an unknown field":      {"version: 1\ncolour: red\n", "colour"},
		"a secret in the file":  {"version: 1\nclients:\n  - id: a\n    environment: sandbox\n    account: 1\n    name: n\n    secret: s3cr3t\n", "secret"},
		"another version":       {"version: 2\n", "version"},
		"no version":            {"clients: []\n", "version"},
		"two documents":         {"version: 1\n---\nversion: 1\n", "single"},
		"a list for an account": {"version: 1\naccounts: [[1]]\n", "line 2"},
	} {
		_, err := Decode(strings.NewReader(tc.file))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", name, err, tc.want)
		}
		if err != nil && strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("%s: the error repeats the secret", name)
		}
	}
}
