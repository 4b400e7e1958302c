// Command keptn-mutate measures the conformance suite's recall by mutation testing: it writes
// one small fault at a time into the reference gateway's source (through go's -overlay, never
// into the tree), runs the suite against each mutant on the embedded target, and writes which
// mutants the suite killed, and by which checks, to the output directory.
//
//	go run ./cmd/keptn-mutate [-n 40] [-seed 1] [-jobs 2] [-procs 4] [-timeout 0] [-out _artifacts/mutation]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/mutation"
)

// defaultSample is the sample size that fits in 30 minutes on two shared cores with two jobs:
// measured 43 s of wall time a mutant under a load average of 13 to 30 (README, "Mutation
// testing"); about 15 s on an idle machine.
const defaultSample = 40

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "keptn-mutate:", err)
		os.Exit(1)
	}
}

func run() error {
	fs := flag.NewFlagSet("keptn-mutate", flag.ContinueOnError)
	n := fs.Int("n", defaultSample, "mutants to run, a stratified sample (0: all) (env MUTATION_SAMPLE)")
	seed := fs.Uint64("seed", 1, "seed of the sample and of the suite's order (env MUTATION_SEED)")
	jobs := fs.Int("jobs", 2, "mutants built and run at the same time (env MUTATION_JOBS)")
	procs := fs.Int("procs", 4, "the suite's parallel processes per mutant (env MUTATION_PROCS)")
	timeout := fs.Duration("timeout", 0, "each mutant's run limit; 0: four times the unmutated run, at least 90s (env MUTATION_TIMEOUT)")
	out := fs.String("out", "_artifacts/mutation", "output directory")
	dir := fs.String("dir", "gateway", "the source tree to mutate (non-test .go files)")
	configurations := fs.String("configurations", strings.Join(mutation.DefaultConfigurations(), ","), "the embedded target's configurations the baseline runs in, comma-separated (all, split, strict, layout-0.6, replicas); each mutant runs in those whose baseline reached its code, in this order, until one notices it (env MUTATION_CONFIGURATIONS)")
	list := fs.Bool("list", false, "print the sample and exit, running nothing")
	only := fs.String("only", "", "run these mutants only (comma-separated IDs), not a sample")
	rescore := fs.Bool("rescore", false, "run nothing: apply the current equivalent list to the report in -out and write it again")
	for name, env := range map[string]string{"n": "MUTATION_SAMPLE", "seed": "MUTATION_SEED", "jobs": "MUTATION_JOBS", "procs": "MUTATION_PROCS", "timeout": "MUTATION_TIMEOUT", "configurations": "MUTATION_CONFIGURATIONS"} {
		if v := os.Getenv(env); v != "" {
			if err := fs.Set(name, v); err != nil {
				return fmt.Errorf("%s=%q: %v", env, v, err)
			}
		}
	}
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q (see -h)", fs.Args())
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		return errors.New("run it from the module root (where go.mod is): make mutation")
	}
	module := modulePath(gomod)

	if *rescore {
		return rescoreReport(*out)
	}
	files, err := mutation.Files(root, *dir)
	if err != nil {
		return err
	}
	all, err := mutation.GenerateAll(root, files)
	if err != nil {
		return err
	}
	equivalents, err := mutation.Equivalents()
	if err != nil {
		return err
	}
	rep := &mutation.Report{Generated: map[string]int{}, SkippedBy: map[string]int{}, Seed: *seed, Jobs: *jobs, Procs: *procs}
	for _, m := range all {
		rep.Generated[m.Operator]++
		if m.Skip != "" {
			rep.SkippedBy[m.Skip]++
		} else {
			rep.Runnable++
		}
	}
	sample := mutation.Sample(all, *n, *seed)
	if *only != "" {
		sample = pick(all, strings.Split(*only, ","))
		if len(sample) == 0 {
			return fmt.Errorf("no mutant has the ids %s", *only)
		}
	}
	rep.Sample = len(sample)
	drawn := fmt.Sprintf("sample %d of %d, by operator, then file, seed %d", len(sample), rep.Runnable, *seed)
	if *only != "" {
		drawn = fmt.Sprintf("%d chosen by id", len(sample))
	}
	fmt.Printf("%d mutants of %d files in %s/; not run: %s; %s\n", len(all), len(files), *dir, skipped(rep.SkippedBy), drawn)
	if *list {
		for _, m := range sample {
			fmt.Printf("%s %s:%d %s: %s → %s\n", m.ID, m.File, m.Line, m.Operator, m.Original, m.Mutated)
		}
		return nil
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	outDir, err := filepath.Abs(*out)
	if err != nil {
		return err
	}
	work := filepath.Join(outDir, "runs")
	if err := os.RemoveAll(work); err != nil {
		return err
	}
	goCmd, err := exec.LookPath("go")
	if err != nil {
		return err
	}
	r := &mutation.Runner{Root: root, Module: module, Tree: *dir, Work: work, Go: goCmd, Ginkgo: filepath.Join(work, "ginkgo"), Procs: *procs, Jobs: *jobs,
		Seed: int64(*seed), Timeout: *timeout, Log: os.Stdout, Configurations: strings.Split(*configurations, ",")}
	if b, err := exec.CommandContext(ctx, goCmd, "build", "-o", r.Ginkgo, "github.com/onsi/ginkgo/v2/ginkgo").CombinedOutput(); err != nil {
		return fmt.Errorf("building the ginkgo CLI: %v\n%s", err, b)
	}
	start := time.Now()
	rep.Date = start.UTC().Format(time.RFC3339)
	load := loadAverage()
	if r.Timeout == 0 {
		r.Timeout = 10 * time.Minute // the baseline's own limit
	}
	for _, c := range r.Configurations {
		if _, err := mutation.ConfigurationFlags(c); err != nil {
			return fmt.Errorf("-configurations: %w", err)
		}
	}
	build, base, cs, err := r.Baseline(ctx)
	if err != nil {
		return err
	}
	if *timeout == 0 {
		r.Timeout = max(4*base, 90*time.Second).Round(time.Second)
	}
	rep.BaselineBuildSeconds, rep.BaselineRunSeconds, rep.TimeoutSeconds = build.Seconds(), base.Seconds(), r.Timeout.Seconds()
	rep.Configurations = r.Configurations
	fmt.Printf("baseline (with coverage of %s/, configurations %s): build %.0f s, longest run %.0f s (passed); each mutant's run limited to %s\n", *dir, strings.Join(r.Configurations, ", "), build.Seconds(), base.Seconds(), r.Timeout)

	rep.Results = r.RunAll(ctx, sample, cs, equivalents)
	rep.WallSeconds = time.Since(start).Seconds()
	if len(sample) > 0 {
		rep.PerMutantSeconds = rep.WallSeconds / float64(len(sample))
	}
	rep.Conditions = fmt.Sprintf("load average %s at the start, %s at the end, on %d CPUs", load, loadAverage(), runtime.NumCPU())
	rep.Score = mutation.Tally(rep.Results)
	if err := rep.Write(outDir); err != nil {
		return err
	}
	fmt.Printf("%s\nreports: %s, %s in %s\n", rep.Summary(), mutation.FileJSON, mutation.FileMarkdown, outDir)
	if ctx.Err() != nil {
		return errors.New("interrupted: the report holds the mutants run so far")
	}
	return nil
}

// rescoreReport applies the equivalent list to a written report: survivors it names become
// equivalent, equivalents it no longer names survive again.
func rescoreReport(dir string) error {
	equivalents, err := mutation.Equivalents()
	if err != nil {
		return err
	}
	rep, err := mutation.ReadReport(dir)
	if err != nil {
		return err
	}
	for i, r := range rep.Results {
		e, listed := equivalents[r.ID]
		switch {
		case r.Status == mutation.Survived && listed:
			rep.Results[i].Status, rep.Results[i].Equivalence = mutation.Equivalent, e.Reason
		case r.Status == mutation.Equivalent && !listed:
			rep.Results[i].Status, rep.Results[i].Equivalence = mutation.Survived, ""
		}
	}
	rep.Score = mutation.Tally(rep.Results)
	if err := rep.Write(dir); err != nil {
		return err
	}
	fmt.Println(rep.Summary())
	return nil
}

func modulePath(gomod []byte) string {
	for _, l := range strings.Split(string(gomod), "\n") {
		if m, ok := strings.CutPrefix(strings.TrimSpace(l), "module "); ok {
			return strings.Trim(strings.TrimSpace(m), `"`)
		}
	}
	return ""
}

func pick(all []*mutation.Mutant, ids []string) []*mutation.Mutant {
	want := map[string]bool{}
	for _, id := range ids {
		want[strings.TrimSpace(id)] = true
	}
	var out []*mutation.Mutant
	for _, m := range all {
		if want[m.ID] {
			out = append(out, m)
		}
	}
	return out
}

func skipped(by map[string]int) string {
	if len(by) == 0 {
		return "none"
	}
	var parts []string
	for _, why := range slices.Sorted(maps.Keys(by)) {
		parts = append(parts, fmt.Sprintf("%d (%s)", by[why], why))
	}
	return strings.Join(parts, ", ")
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}
