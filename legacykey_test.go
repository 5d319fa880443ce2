package gatehouse_test

import (
	"strings"
	"testing"

	"github.com/gatehouse-dev/gatehouse"
)

func TestLegacyKeys(t *testing.T) {
	const uuid = "da012c0f-b1a7-4f86-8279-3cd69b9185e2"
	native := gatehouse.FormatAPIKey("sandbox", strings.Repeat("A", gatehouse.ClientIDLength), strings.Repeat("b", gatehouse.SecretLength))
	for key, want := range map[string]bool{
		uuid:                        true,
		"not-a-key":                 false, // too short
		strings.Repeat("a", 40):     false, // too weak
		native:                      false, // a Gatehouse key is no legacy key
		uuid + " with spaces in it": false,
		"da012c0f\x00b1a7-4f86-8279-3cd69b9185e2": false,
	} {
		if got := gatehouse.ValidLegacyKey(key); got != want {
			t.Errorf("ValidLegacyKey(%q) = %v, want %v", key, got, want)
		}
	}
	id := gatehouse.LegacyKeyClientID(uuid)
	if !gatehouse.IsLegacyKeyClient(id) || len(id) != 27 || strings.Contains(id, "da012c0f") {
		t.Fatalf("LegacyKeyClientID = %q", id)
	}
	if id == gatehouse.LegacyKeyClientID(strings.Replace(uuid, "d", "e", 1)) {
		t.Fatal("two keys share a client id")
	}
	if gatehouse.IsLegacyKeyClient(strings.Repeat("A", gatehouse.ClientIDLength)) {
		t.Fatal("a native client id is taken for a legacy one")
	}
}
