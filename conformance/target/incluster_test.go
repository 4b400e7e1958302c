package target

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// The results go through the Job's log and come out whole, the suite's output beside them; a
// damaged or cut log is one clear error.
func TestResultsSurviveTheLog(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "diagnostics", "process-1"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{"conformance-report.json": `{"run":{"succeeded":true}}`, "junit.xml": "<testsuites/>",
		"diagnostics/process-1/pods.txt": strings.Repeat("pod line\n", 500)}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var log bytes.Buffer
	log.WriteString("Ran 3 of 3 Specs\nSUCCESS!\n")
	if err := EmitResults(&log, dir); err != nil {
		t.Fatal(err)
	}
	output, archive, err := splitResults(log.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(output), "SUCCESS!") || strings.Contains(string(output), "keptn-conformance results") {
		t.Errorf("the suite's output: %q", output)
	}
	out := filepath.Join(t.TempDir(), "results.tar.gz")
	if err := writeResults(out, archive, output, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	got := untar(t, out)
	for name, content := range files {
		if got["reports/"+name] != content {
			t.Errorf("reports/%s: %q, want %q", name, got["reports/"+name], content)
		}
	}
	if !strings.Contains(got["logs/suite.log"], "SUCCESS!") {
		t.Errorf("logs/suite.log: %q", got["logs/suite.log"])
	}

	lines := strings.Split(log.String(), "\n")
	damaged := strings.Join(append(append([]string{}, lines[:4]...), append([]string{"AAAA"}, lines[5:]...)...), "\n")
	if _, _, err := splitResults([]byte(damaged)); err == nil || !strings.Contains(err.Error(), "SHA-256") {
		t.Errorf("a damaged log: %v", err)
	}
	if _, _, err := splitResults([]byte(strings.Join(lines[:5], "\n"))); err == nil || !strings.Contains(err.Error(), "cut off") {
		t.Errorf("a cut log: %v", err)
	}
	if _, _, err := splitResults([]byte("THE RUN FAILED\n")); err == nil || !strings.Contains(err.Error(), "no results") {
		t.Errorf("a log without results: %v", err)
	}
}

// The Job's manifest renders to valid documents, the extra flags quoted as they were given.
func TestJobManifestRenders(t *testing.T) {
	args := []string{"--procs=4", `--label-filter=Profile:Core && !Feature:Generated`, "--implementation=acme \"gateway\""}
	b, err := renderJob("keptn", "keptn-conformance/keptn-conformance:abc", args)
	if err != nil {
		t.Fatal(err)
	}
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	kinds := map[string]bool{}
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			break
		}
		kinds[obj["kind"].(string)] = true
		if obj["kind"] != "Job" {
			continue
		}
		raw, _ := yaml.Marshal(obj)
		var job struct {
			Spec struct {
				Template struct {
					Spec struct {
						Containers []struct {
							Image string   `json:"image"`
							Args  []string `json:"args"`
						} `json:"containers"`
					} `json:"spec"`
				} `json:"template"`
			} `json:"spec"`
		}
		if err := yaml.Unmarshal(raw, &job); err != nil {
			t.Fatal(err)
		}
		c := job.Spec.Template.Spec.Containers[0]
		if c.Image != "keptn-conformance/keptn-conformance:abc" || c.Args[0] != "--emit-results" || len(c.Args) < len(args) || !slices.Equal(c.Args[len(c.Args)-len(args):], args) {
			t.Errorf("the Job's container: %+v", c)
		}
	}
	for _, k := range []string{"ServiceAccount", "Role", "RoleBinding", "Job"} {
		if !kinds[k] {
			t.Errorf("no %s in the manifest", k)
		}
	}
}

func untar(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(gz)
	files := map[string]string{}
	for {
		h, err := tr.Next()
		if err != nil {
			break
		}
		b, _ := io.ReadAll(tr)
		files[h.Name] = string(b)
	}
	return files
}
