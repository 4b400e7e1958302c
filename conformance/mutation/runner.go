package mutation

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"
)

// SuitePackage is the suite the runner runs against each mutant.
const SuitePackage = "./suites/conformance"

// Runner runs the suite against mutants of the module at Root.
type Runner struct {
	Root    string        // the module root (go.mod)
	Module  string        // the module's path
	Tree    string        // the mutated tree, relative to Root (its coverage is measured)
	Work    string        // a scratch directory: binaries, overlays, each run's artifacts
	Go      string        // the go command
	Ginkgo  string        // the ginkgo CLI binary
	Procs   int           // the suite's processes per run
	Jobs    int           // mutants run at the same time
	Timeout time.Duration // per mutant run (the build is not counted)
	Seed    int64         // the suite's random seed (the same for every mutant)
	Log     io.Writer     // progress, one line a mutant
	// Configurations name the embedded target's configurations (DefaultConfigurations) the baseline
	// runs in, in order of preference; each mutant runs in those whose baseline reached its code,
	// in this order, until one notices it. Empty: the embedded target's default only.
	Configurations []string
}

// configurations are the embedded target's configurations a mutant can be judged in, in the
// runner's default order, each with the suite's flags for it. The reference gateway is real
// software in each of them, and some of its code runs in one only (the split roles' proxies,
// strict mode's redirect, Keptn 0.6's routes, the replicas' shared state store).
var configurations = []struct {
	name  string
	flags []string
}{
	{"all", []string{"--embedded-topology=all"}},           // the roles' handlers in one server (the default)
	{"split", []string{"--embedded-topology=split"}},       // each role on its own listener, over HTTP as on kind
	{"strict", []string{"--embedded-strict"}},              // plain HTTP redirects to HTTPS
	{"layout-0.6", []string{"--layout=0.6"}},               // Keptn 0.6's paths, no datastore
	{"replicas", []string{"--embedded-topology=replicas"}}, // two api-service replicas sharing their state store
}

// DefaultConfigurations are the names of the configurations, in the runner's default order.
func DefaultConfigurations() []string {
	out := make([]string, len(configurations))
	for i, c := range configurations {
		out[i] = c.name
	}
	return out
}

// ConfigurationFlags are the suite's flags for the configuration of that name.
func ConfigurationFlags(name string) ([]string, error) {
	for _, c := range configurations {
		if c.name == name {
			return c.flags, nil
		}
	}
	return nil, fmt.Errorf("no configuration %q (known: %s)", name, strings.Join(DefaultConfigurations(), ", "))
}

// Configuration is one configuration a baseline ran in, and what its run reached.
type Configuration struct {
	Name     string   // "" for the target's default
	Coverage Coverage // of the mutated tree, in the baseline of this configuration
}

// Reaching are the configurations to run the mutant in, in order: those whose baseline reached
// its code. A mutant no baseline reached (in code some baseline has blocks for) is not reached
// (none); one in code outside every function body (a struct tag) runs in the first.
func Reaching(cs []Configuration, m *Mutant) []Configuration {
	var out []Configuration
	known := false
	for _, c := range cs {
		r, k := c.Coverage.Reached(m)
		if k && r {
			out = append(out, c)
		}
		known = known || k
	}
	if len(out) > 0 || known || len(cs) == 0 {
		return out
	}
	return cs[:1]
}

// Files lists the Go files to mutate under dir (relative to root): non-test .go files.
func Files(root, dir string) ([]string, error) {
	var out []string
	err := filepath.WalkDir(filepath.Join(root, dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") && !strings.HasSuffix(p, "_test.go") {
			rel, err := filepath.Rel(root, p)
			if err != nil {
				return err
			}
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out, err
}

// GenerateAll returns the mutants of the files (relative to root), in file order.
func GenerateAll(root string, files []string) ([]*Mutant, error) {
	var all []*Mutant
	for _, f := range files {
		src, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(f)))
		if err != nil {
			return nil, err
		}
		ms, err := Generate(f, src)
		if err != nil {
			return nil, err
		}
		all = append(all, ms...)
	}
	return all, nil
}

// build compiles the suite with the mutant's file substituted (nil: the unmutated suite) into
// dir/conformance.test.
func (r *Runner) build(ctx context.Context, dir string, m *Mutant, flags ...string) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "conformance.test")
	args := append([]string{"test", "-c", "-o", bin}, flags...)
	if m != nil {
		src := filepath.Join(dir, filepath.Base(m.File))
		if err := os.WriteFile(src, m.Source(), 0o644); err != nil {
			return "", err
		}
		ov, err := json.Marshal(map[string]map[string]string{"Replace": {filepath.Join(r.Root, filepath.FromSlash(m.File)): src}})
		if err != nil {
			return "", err
		}
		overlay := filepath.Join(dir, "overlay.json")
		if err := os.WriteFile(overlay, ov, 0o644); err != nil {
			return "", err
		}
		args = append(args, "-overlay", overlay)
	}
	args = append(args, SuitePackage)
	cmd := exec.CommandContext(ctx, r.Go, args...)
	cmd.Dir = r.Root
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), err
	}
	return bin, nil
}

// run runs the suite binary bin with its artifacts in dir/artifacts. It reports whether the
// suite passed, whether the time limit ended it, and its output.
func (r *Runner) run(ctx context.Context, dir, bin, configuration string, limit time.Duration, flags ...string) (passed, timedOut bool, output string, err error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	args := []string{fmt.Sprintf("--procs=%d", r.Procs), fmt.Sprintf("--seed=%d", r.Seed), "--randomize-all",
		bin, "--", "--target=embedded", "--artifacts=" + filepath.Join(dir, "artifacts")}
	if configuration != "" {
		cf, err := ConfigurationFlags(configuration)
		if err != nil {
			return false, false, "", err
		}
		args = append(args, cf...)
	}
	cmd := exec.Command(r.Ginkgo, append(args, flags...)...)
	cmd.Dir = dir
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	// Its own process group, so that the time limit ends ginkgo and the suite's processes.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return false, false, "", err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		err = <-done
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return false, true, buf.String(), nil
		}
		return false, false, buf.String(), ctx.Err()
	}
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		return false, false, buf.String(), err
	}
	return err == nil, false, buf.String(), nil
}

// Baseline builds and runs the unmutated suite in each configuration, which must pass without a
// SHOULD finding (a mutant's finding is counted as noticed), measuring the coverage of the
// mutated tree. It returns the build's duration, the longest run's, and what each run reached.
func (r *Runner) Baseline(ctx context.Context) (build, run time.Duration, cs []Configuration, err error) {
	dir := filepath.Join(r.Work, "baseline")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return 0, 0, nil, err
	}
	start := time.Now()
	bin, err := r.build(ctx, dir, nil, "-cover", "-coverpkg=./"+r.Tree+"/...")
	if err != nil {
		return 0, 0, nil, fmt.Errorf("building the unmutated suite: %v\n%s", err, bin)
	}
	defer os.Remove(bin)
	build = time.Since(start)
	names := r.Configurations
	if len(names) == 0 {
		names = []string{""}
	}
	for _, name := range names {
		cdir := dir
		if name != "" {
			cdir = filepath.Join(dir, name)
		}
		took, cov, err := r.baselineIn(ctx, cdir, bin, name)
		if err != nil {
			if name != "" {
				err = fmt.Errorf("configuration %s: %w", name, err)
			}
			return build, run, nil, err
		}
		run = max(run, took)
		cs = append(cs, Configuration{Name: name, Coverage: cov})
	}
	return build, run, cs, nil
}

func (r *Runner) baselineIn(ctx context.Context, dir, bin, configuration string) (run time.Duration, cov Coverage, err error) {
	covDir := filepath.Join(dir, "gocoverdir")
	if err := os.MkdirAll(covDir, 0o755); err != nil {
		return 0, nil, err
	}
	start := time.Now()
	passed, timedOut, out, err := r.run(ctx, dir, bin, configuration, r.Timeout, "-test.gocoverdir="+covDir)
	run = time.Since(start)
	switch {
	case err != nil:
		return run, nil, err
	case timedOut:
		return run, nil, fmt.Errorf("the unmutated suite did not finish within %s (raise -timeout)", r.Timeout)
	case !passed:
		return run, nil, fmt.Errorf("the unmutated suite fails on the reference gateway, so no mutant can be judged; its output ends:\n%s", tail(out, 30))
	}
	if status, findings, _ := Classify(filepath.Join(dir, "artifacts"), passed, out); status != Survived {
		return run, nil, fmt.Errorf("the unmutated suite has SHOULD findings on the reference gateway, which every mutant would be noticed by: %s", strings.Join(findings, "; "))
	}
	profile := filepath.Join(dir, "coverage.txt")
	if b, err := exec.CommandContext(ctx, r.Go, "tool", "covdata", "textfmt", "-i="+covDir, "-o="+profile).CombinedOutput(); err != nil {
		return run, nil, fmt.Errorf("reading the baseline's coverage: %v\n%s", err, b)
	}
	text, err := os.ReadFile(profile)
	if err != nil {
		return run, nil, err
	}
	cov, err = ParseCoverage(text, r.Module)
	if err == nil && len(cov) == 0 {
		err = fmt.Errorf("the baseline's coverage profile %s holds no block of %s", profile, r.Tree)
	}
	return run, cov, err
}

// RunAll runs the suite against each mutant, Jobs at a time; equivalents are mutants argued
// equivalent (by ID). Results come in the order of ms.
// Each runs in the configurations whose baseline reached its code (Reaching), in order, until one
// notices it; mutants no baseline reached survive without a run.
func (r *Runner) RunAll(ctx context.Context, ms []*Mutant, cs []Configuration, equivalents map[string]EquivalentEntry) []Result {
	results := make([]Result, len(ms))
	next := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	finished := 0
	for range max(r.Jobs, 1) {
		wg.Go(func() {
			for i := range next {
				results[i] = r.one(ctx, i, ms[i], cs, equivalents)
				mu.Lock()
				finished++
				res := results[i]
				how := fmt.Sprintf("build %.0fs, run %.0fs", res.BuildSecs, res.RunSecs)
				if res.Configuration != "" {
					how += ", " + res.Configuration
				}
				if res.NotReached {
					how = "not reached by the suite: not run"
				}
				fmt.Fprintf(r.Log, "[%d/%d] %-12s %s:%d %s (%s)%s\n", finished, len(ms), res.Status,
					res.File, res.Line, res.Operator, how, firstKiller(res))
				mu.Unlock()
			}
		})
	}
	for i := range ms {
		if ctx.Err() != nil {
			break
		}
		next <- i
	}
	close(next)
	wg.Wait()
	// After an interrupt, the mutants never started have no result.
	return slices.DeleteFunc(results, func(r Result) bool { return r.Status == "" })
}

func firstKiller(r Result) string {
	if len(r.KilledBy) == 0 {
		return ""
	}
	more := ""
	if len(r.KilledBy) > 1 {
		more = fmt.Sprintf(" (+%d)", len(r.KilledBy)-1)
	}
	return ": " + r.KilledBy[0] + more
}

func (r *Runner) one(ctx context.Context, i int, m *Mutant, cs []Configuration, equivalents map[string]EquivalentEntry) (res Result) {
	res = Result{Mutant: *m}
	defer func() {
		if e, ok := equivalents[m.ID]; ok && res.Status == Survived {
			res.Status, res.Equivalence = Equivalent, e.Reason
		}
	}()
	reaching := Reaching(cs, m)
	if len(reaching) == 0 {
		res.Status, res.NotReached = Survived, true
		return res
	}
	dir := filepath.Join(r.Work, fmt.Sprintf("mutant-%04d-%s", i, m.ID))
	defer os.Remove(filepath.Join(dir, "conformance.test")) // 80 MB a mutant
	start := time.Now()
	bin, err := r.build(ctx, dir, m)
	res.BuildSecs = time.Since(start).Seconds()
	if err != nil {
		res.Status, res.BuildOutput = BuildFailed, tail(bin, 10)
		if ctx.Err() != nil || bin == "" {
			res.Status, res.BuildOutput = Error, err.Error()
		}
		return res
	}
	r.judge(ctx, dir, bin, reaching, &res)
	return res
}

// judge runs the suite binary bin in each configuration in turn, until one notices the mutant;
// the first run's output and artifacts go to dir, each later one's to a directory of its own in
// it named by its configuration.
func (r *Runner) judge(ctx context.Context, dir, bin string, reaching []Configuration, res *Result) {
	var tried []string
	for _, c := range reaching {
		// Each configuration's run in a directory of its own (the first in the mutant's).
		cdir := dir
		if len(tried) > 0 {
			cdir = filepath.Join(dir, c.Name)
		}
		tried = append(tried, c.Name)
		res.Configuration = strings.Join(tried, "→")
		if err := os.MkdirAll(cdir, 0o755); err != nil {
			res.Status, res.KilledBy = Error, []string{err.Error()}
			return
		}
		start := time.Now()
		passed, timedOut, out, err := r.run(ctx, cdir, bin, c.Name, r.Timeout)
		res.RunSecs += time.Since(start).Seconds()
		_ = os.WriteFile(filepath.Join(cdir, "output.txt"), []byte(out), 0o644)
		switch {
		case err != nil:
			res.Status, res.KilledBy = Error, []string{"the suite could not be run: " + err.Error()}
		case timedOut:
			res.Status = TimedOut
			res.KilledBy = append([]string{fmt.Sprintf("time limit %s", r.Timeout)}, failedLines(out, 3)...)
		default:
			res.Status, res.KilledBy, res.Checks = Classify(filepath.Join(cdir, "artifacts"), passed, out)
		}
		if res.Status != Survived {
			return
		}
	}
}

// failedLines are the first n distinct failures ginkgo printed (a run ended by the time limit
// leaves no report).
func failedLines(out string, n int) []string {
	var got []string
	for _, l := range strings.Split(ansi.ReplaceAllString(out, ""), "\n") {
		_, f, ok := strings.Cut(l, "[FAILED] ")
		// "• [FAILED] [30.4 seconds]" heads a failure; the line after it says what failed.
		if f = strings.TrimSpace(f); ok && f != "" && !strings.HasPrefix(f, "[") && !slices.Contains(got, f) && len(got) < n {
			got = append(got, f)
		}
	}
	return got
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
