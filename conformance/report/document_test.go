package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite CONFORMANCE.md from the suite's declarations")

// CONFORMANCE.md is what the suite declares: regenerate it with make conformance-doc.
func TestConformanceDocumentIsCurrent(t *testing.T) {
	want, err := Document()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("..", "..", DocumentFile)
	if *update {
		if err := os.WriteFile(path, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v: make conformance-doc writes it", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is stale: the suite's checks changed; run make conformance-doc", DocumentFile)
	}
}
