package report

import (
	"encoding/json"
	"flag"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/keptn-conformance/keptn-conformance/conformance/target"
)

// The certification flags land in the report's implementation, its summary and its coverage page;
// the command line's contacts replace the environment's.
func TestMetadataFlagsReachTheReport(t *testing.T) {
	t.Setenv("KEPTN_CONFORMANCE_CONTACT", "env@example.com")
	t.Setenv("KEPTN_CONFORMANCE_ORGANIZATION", "Acme")
	var m Metadata
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	if err := m.RegisterFlags(fs); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--implementation-version=1.4.2", "--url=https://acme.example/gateway",
		"--contact=ada@acme.example,@grace", "--contact", "https://acme.example/support"}); err != nil {
		t.Fatal(err)
	}
	d := &target.Description{Implementation: target.Implementation{Name: "acme-gateway", Version: "0.7.3", Endpoint: "http://keptn.acme.example", Target: target.KindExternal}}
	rep, err := Build(types.Report{SuiteSucceeded: true}, d, m)
	if err != nil {
		t.Fatal(err)
	}
	want := Implementation{Name: "acme-gateway", Version: "1.4.2", Organization: "Acme", URL: "https://acme.example/gateway",
		Contact: []string{"ada@acme.example", "@grace", "https://acme.example/support"}, Endpoint: "http://keptn.acme.example", Target: target.KindExternal}
	im := rep.Implementation
	if im.Name != want.Name || im.Version != want.Version || im.Organization != want.Organization || im.URL != want.URL ||
		!slices.Equal(im.Contact, want.Contact) || im.Endpoint != want.Endpoint || im.Target != want.Target {
		t.Errorf("implementation %+v, want %+v", im, want)
	}
	sum := Summary(rep, "")
	if !strings.Contains(sum, "acme-gateway 1.4.2 at http://keptn.acme.example") ||
		!strings.Contains(sum, "by Acme · https://acme.example/gateway · contact: ada@acme.example, @grace, https://acme.example/support") {
		t.Errorf("the summary does not name the implementation and who declares it:\n%s", sum)
	}
	dir := t.TempDir()
	if err := Write(dir, rep); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, FileJSON))
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Implementation map[string]any `json:"implementation"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"name", "version", "organization", "url", "contact", "endpoint", "target"} {
		if _, ok := doc.Implementation[k]; !ok {
			t.Errorf("the JSON report's implementation has no %q: %v", k, doc.Implementation)
		}
	}
	html, err := os.ReadFile(filepath.Join(dir, FileCoverage))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(html), "By Acme") {
		t.Error("the coverage page does not say who declares the implementation")
	}
	// Without a declared version, the one the installation reports stays.
	rep, err = Build(types.Report{}, d, Metadata{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Implementation.Version != "0.7.3" || rep.Implementation.By() != "" {
		t.Errorf("without metadata: %+v", rep.Implementation)
	}
}

// A URL that is none is one clear error, from the flag or from its environment variable.
func TestMetadataRefusesABadURL(t *testing.T) {
	var m Metadata
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	if err := m.RegisterFlags(fs); err != nil {
		t.Fatal(err)
	}
	if err := fs.Parse([]string{"--url=acme.example"}); err == nil || !strings.Contains(err.Error(), "not an http(s) URL") {
		t.Errorf("--url=acme.example: %v", err)
	}
	t.Setenv("KEPTN_CONFORMANCE_URL", "ftp://acme.example")
	if err := new(Metadata).RegisterFlags(flag.NewFlagSet("test", flag.ContinueOnError)); err == nil || !strings.Contains(err.Error(), "$KEPTN_CONFORMANCE_URL") {
		t.Errorf("$KEPTN_CONFORMANCE_URL=ftp://...: %v", err)
	}
}
