package importfile_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
	"github.com/gatehouse-dev/gatehouse/internal/importfile"
	"github.com/gatehouse-dev/gatehouse/internal/manage"
)

func TestCSVRowsKeepTheirLineNumbers(t *testing.T) {
	file := "\xEF\xBB\xBFClient_ID, secret_hash ,account,environment,scopes,allowed_cidrs\n" +
		"a,sha256$00,Acme,sandbox,\"x:read, y:write\",10.0.0.0/8 192.0.2.0/24\n" +
		"\"b\nc\",s,1,sandbox,,\n" + // a quoted field spans two lines
		"d,\"unterminated,1,sandbox,,\n"
	rows, err := importfile.Read(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("%d rows: %+v", len(rows), rows)
	}
	want := manage.ImportClient{Line: 2, ClientID: "a", SecretHash: "sha256$00", Account: "Acme", Environment: "sandbox",
		Scopes: []string{"x:read", "y:write"}, AllowedCIDRs: []string{"10.0.0.0/8", "192.0.2.0/24"}}
	if !reflect.DeepEqual(rows[0], want) {
		t.Fatalf("row = %+v, want %+v", rows[0], want)
	}
	if rows[1].Line != 3 || rows[1].ClientID != "b\nc" {
		t.Fatalf("second row = %+v", rows[1])
	}
	if rows[2].Line != 5 || rows[2].Problem == "" {
		t.Fatalf("the unterminated row = %+v", rows[2])
	}
}

func TestCSVHeaderProblemsRefuseTheFile(t *testing.T) {
	for name, file := range map[string]string{
		"an unknown column": "client_id,password\nx,y\n",
		"a repeated column": "client_id,client_id\nx,y\n",
		"an empty file":     "",
	} {
		if _, err := importfile.Read(strings.NewReader(file)); gatehouse.ErrorCode(err) != gatehouse.EINVALID {
			t.Errorf("%s: err = %v, want invalid", name, err)
		}
	}
}

func TestJSONLinesRowsAndProblems(t *testing.T) {
	const secret = "s3cr3t-that-must-not-show"
	file := `{"client_id":"a","secret":"` + secret + `","account":7,"environment":"sandbox","scopes":["x:read"],"allowed_cidrs":"10.0.0.0/8"}` + "\n" +
		"\n" +
		`{"client_id":"b","secret":"` + secret + `","colour":"red"}` + "\n" +
		`{"client_id":"c","secret":"` + secret + `",` + "\n" +
		`{"client_id":"d","secret":12345,"account":{}}` + "\n"
	rows, err := importfile.Read(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 {
		t.Fatalf("%d rows", len(rows))
	}
	want := manage.ImportClient{Line: 1, ClientID: "a", Secret: secret, Account: "7", Environment: "sandbox",
		Scopes: []string{"x:read"}, AllowedCIDRs: []string{"10.0.0.0/8"}}
	if !reflect.DeepEqual(rows[0], want) {
		t.Fatalf("row = %+v", rows[0])
	}
	for i, line := range []int{3, 4, 5} {
		r := rows[i+1]
		if r.Line != line || r.Problem == "" || strings.Contains(r.Problem, secret) || strings.Contains(r.Problem, "12345") {
			t.Errorf("row on line %d = line %d, problem %q", line, r.Line, r.Problem)
		}
	}
}

func TestMustRotateRowsInCSVAndJSONLines(t *testing.T) {
	csvFile := "client_id,account,environment,must_rotate\n" +
		"a,Acme,sandbox,true\n" +
		"b,Acme,sandbox,\n" +
		"c,Acme,sandbox,perhaps\n"
	rows, err := importfile.Read(strings.NewReader(csvFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || !rows[0].MustRotate || rows[0].Problem != "" || rows[1].MustRotate || rows[1].Problem != "" {
		t.Fatalf("rows = %+v", rows)
	}
	if rows[2].Problem == "" || strings.Contains(rows[2].Problem, "perhaps") {
		t.Fatalf("a bad must_rotate = %+v; want a problem that does not echo the value", rows[2])
	}
	jsonFile := `{"client_id":"a","account":"Acme","environment":"sandbox","must_rotate":true}` + "\n" +
		`{"client_id":"b","account":"Acme","environment":"sandbox","must_rotate":"yes"}` + "\n"
	rows, err = importfile.Read(strings.NewReader(jsonFile))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || !rows[0].MustRotate || rows[0].Problem != "" || rows[1].Problem == "" {
		t.Fatalf("rows = %+v", rows)
	}
}
