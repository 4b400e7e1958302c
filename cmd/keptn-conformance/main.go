// Command keptn-conformance is the conformance suite for the Keptn API gateway as one binary: it
// needs no Go toolchain and no checkout, only the target.
//
//	keptn-conformance --procs=4 --target=external --endpoint=https://keptn.example.com --token=...
//
// It takes the suite's own flags (--target, --endpoint, --artifacts, ...; see --help) and the
// flags of `ginkgo run` (--procs, --label-filter, --randomize-all, ...), in any order. It is its
// own Ginkgo CLI: the run command of the ginkgo package orchestrates the run, on a `.test` link to
// this very executable, which Ginkgo then starts once per parallel process as a worker (Ginkgo
// always passes --test.timeout to its workers, which is how a worker knows what it is).
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/ginkgo/command"
	"github.com/onsi/ginkgo/v2/ginkgo/run"
	"github.com/onsi/ginkgo/v2/types"

	"github.com/keptn-conformance/keptn-conformance/conformance/report"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
	"github.com/keptn-conformance/keptn-conformance/specs"
	"github.com/keptn-conformance/keptn-conformance/suites/conformance"
)

const name = "keptn-conformance"

// commit is the commit the binary was built from, stamped by `make keptn-conformance` (-ldflags
// -X), for builds without Go's VCS stamping (a worktree, -buildvcs=false); else vcs.revision.
var commit string

// workDirEnv carries the directory the run was started in to the workers, which Ginkgo starts in
// the directory of the suite's executable (here: the temporary one holding the .test link).
const workDirEnv = "KEPTN_CONFORMANCE_WORKDIR"

func main() {
	if isWorker(os.Args[1:]) {
		os.Exit(worker())
	}
	if len(os.Args) > 1 && os.Args[1] == "in-cluster" {
		os.Exit(inCluster(os.Args[2:]))
	}
	os.Exit(orchestrate(os.Args[1:]))
}

// isWorker tells a worker's command line (Ginkgo's, starting with --test.timeout) from a user's.
func isWorker(args []string) bool {
	return len(args) > 0 && (strings.HasPrefix(args[0], "--test.") || strings.HasPrefix(args[0], "-test."))
}

// failT is the testing.T Ginkgo needs outside `go test`: it only records a failure.
type failT struct{ failed bool }

func (t *failT) Fail() { t.failed = true }

// worker runs the specs in this process, as one of Ginkgo's parallel processes (or the only one).
func worker() int {
	if dir := os.Getenv(workDirEnv); dir != "" {
		if err := os.Chdir(dir); err != nil {
			fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
			return 2
		}
	}
	testing.Init() // the --test.* flags Ginkgo passes
	flag.Parse()
	tuneGC()
	t := &failT{}
	if !conformance.Run(t) || t.failed {
		return 1
	}
	return 0
}

// tuneGC lets a worker's heap grow to five times its live data between collections (GOGC=400;
// the default is twice), within a soft limit of 192 MiB (GOMEMLIMIT): a run's heaps are small,
// and collecting them as often as Go does by default cost a tenth of a run's CPU. GOGC and
// GOMEMLIMIT in the environment take precedence.
func tuneGC() {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(192 << 20)
	}
}

// orchestrate splits the command line into the suite's flags and Ginkgo's, and runs Ginkgo's run
// command on this executable.
func orchestrate(args []string) int {
	suiteFlags := flag.NewFlagSet(name, flag.ContinueOnError)
	var cfg target.Config
	var meta report.Metadata
	if err := errors.Join(cfg.RegisterFlags(suiteFlags), meta.RegisterFlags(suiteFlags)); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 2
	}
	var suiteArgs, ginkgoArgs []string
	emit := false
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			suiteArgs = append(suiteArgs, args[i+1:]...)
			break
		}
		flagName, _, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !strings.HasPrefix(a, "-"):
			fmt.Fprintf(os.Stderr, "%s: unexpected argument %q (the suite takes flags only; see --help)\n", name, a)
			return 2
		case flagName == "help" || flagName == "h":
			usage(os.Stdout, suiteFlags)
			return 0
		case flagName == "version":
			if err := version(os.Stdout); err != nil {
				fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
				return 1
			}
			return 0
		case flagName == emitResults:
			emit = true
		case suiteFlags.Lookup(flagName) != nil:
			suiteArgs = append(suiteArgs, a)
			if !hasValue && !isBool(suiteFlags.Lookup(flagName)) && i+1 < len(args) {
				i++
				suiteArgs = append(suiteArgs, args[i])
			}
		default:
			ginkgoArgs = append(ginkgoArgs, a)
			// The value of a Ginkgo flag given as its own argument goes with it.
			if !hasValue && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
				ginkgoArgs = append(ginkgoArgs, args[i])
			}
		}
	}
	// Both sets of flags are checked here, so that a typo gets one message, not a usage page or
	// one message per process.
	runCommand := run.BuildRunCommand()
	suiteFlags.SetOutput(io.Discard)
	if err := suiteFlags.Parse(suiteArgs); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v (see --help)\n", name, err)
		return 2
	}
	if _, err := runCommand.Flags.Parse(ginkgoArgs); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v (see --help)\n", name, err)
		return 2
	}

	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	dir, err := os.MkdirTemp("", name+"-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	defer os.RemoveAll(dir)
	suite := filepath.Join(dir, name+".test")
	if err := os.Symlink(self, suite); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	os.Setenv(workDirEnv, wd)

	code := 0
	program := command.Program{Name: name, DefaultCommand: runCommand, Exiter: func(c int) { code = c }}
	program.RunAndExit(append(append(append([]string{name}, ginkgoArgs...), suite, "--"), suiteArgs...))
	if emit {
		cfg.Resolve()
		if err := target.EmitResults(os.Stdout, cfg.ArtifactsDir); err != nil {
			fmt.Fprintf(os.Stderr, "%s: --%s: %v\n", name, emitResults, err)
			return cmp.Or(code, 1)
		}
	}
	return code
}

// emitResults is the flag that writes the artifacts directory to stdout at the end of a run, for
// the in-cluster Job (see target.EmitResults).
const emitResults = "emit-results"

// inCluster runs the suite as a Job in the installation's cluster and collects its results.
func inCluster(args []string) int {
	fs := flag.NewFlagSet(name+" in-cluster", flag.ContinueOnError)
	fs.SetOutput(os.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(os.Stderr, `%[1]s in-cluster: certify the installation from inside its cluster, as a Job.

It applies the Job, its ServiceAccount and Role (fixtures/kind/manifests/conformance-job.yaml) in
the namespace, follows the suite's log, and writes one tarball: reports/ (the conformance report,
JUnit, coverage page), logs/suite.log and diagnostics/ (the namespace's pods, events and logs).
The exit code is the suite's. Flags after -- go to the suite in the Job.

Usage:
  %[1]s in-cluster --image=IMAGE [--kubeconfig=FILE] [--out=FILE] -- [--procs=4 --label-filter=... ...]

Flags:
`, name)
		fs.PrintDefaults()
	}
	home, _ := os.UserHomeDir()
	run := target.InClusterRun{Log: os.Stdout}
	fs.StringVar(&run.Kubeconfig, "kubeconfig", cmp.Or(os.Getenv("KUBECONFIG"), filepath.Join(home, ".kube", "config")), "kubeconfig of the cluster ($KUBECONFIG)")
	fs.StringVar(&run.Namespace, "namespace", "keptn", "namespace of the Keptn installation, where the Job runs")
	fs.StringVar(&run.Image, "image", os.Getenv("KEPTN_CONFORMANCE_IMAGE"), "the suite's image, which the cluster can pull or has loaded ($KEPTN_CONFORMANCE_IMAGE; scripts/conformance-image.sh)")
	fs.StringVar(&run.Out, "out", "keptn-conformance-results.tar.gz", "the results tarball to write")
	fs.DurationVar(&run.Timeout, "timeout", time.Hour, "the most the Job may take, start to results")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	run.Args = fs.Args()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ok, err := target.RunInCluster(ctx, run)
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s in-cluster: %v\n", name, err)
		return 1
	}
	fmt.Printf("results: %s\n", run.Out)
	if !ok {
		return 1
	}
	return 0
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

func usage(w io.Writer, suiteFlags *flag.FlagSet) {
	fmt.Fprintf(w, `%[1]s: the conformance suite for the Keptn API gateway.

It certifies a target against the Keptn API specs it carries, profile by profile, and writes the
reports (conformance report, JUnit, coverage page) to the artifacts directory.

Usage:
  %[1]s [flags]
  %[1]s --procs=4 --target=external --endpoint=http://keptn.example.com --token=...
  %[1]s --label-filter='Profile:Core' --target=embedded
  %[1]s --target=external --endpoint=... --token=... --implementation=acme-gateway \
      --implementation-version=1.4.2 --organization=Acme --url=https://acme.example --contact=ada@acme.example
  %[1]s --version   # this binary's version (the certified one's is --implementation-version)
  %[1]s in-cluster --image=IMAGE -- --procs=4   # the same run as a Job in the cluster (in-cluster --help)

Every suite flag can be set through the environment variable named after it. --emit-results
writes the artifacts directory to stdout at the end (a base64 tar.gz between marker lines: the
in-cluster Job's way out).

Suite flags:
`, name)
	suiteFlags.SetOutput(w)
	suiteFlags.PrintDefaults()
	fmt.Fprintf(w, "\nGinkgo flags (those of `ginkgo run`; the most used: --procs, --label-filter, --randomize-all,\n--poll-progress-after, --timeout, -v):\n\n")
	fmt.Fprint(w, stripColor(run.BuildRunCommand().Flags.Usage()))
}

// stripColor removes Ginkgo's {{color}} markup from its flag usage.
func stripColor(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "{{")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.Index(s[i:], "}}")
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		s = s[i+j+2:]
	}
}

// version prints the module version, the commit it was built from, and the digests of the spec
// documents the binary carries (the identity of what it certifies against).
func version(w io.Writer) error {
	v, rev := "(unknown)", cmp.Or(commit, "(unknown)")
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = bi.Main.Version
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && commit == "" {
				rev = s.Value
			}
		}
	}
	fmt.Fprintf(w, "%s %s\ncommit: %s\nginkgo: %s\nspecs:\n", name, v, rev, types.VERSION)
	docs, err := specs.All()
	if err != nil {
		return err
	}
	for _, d := range docs {
		fmt.Fprintf(w, "  %s sha256:%s\n", d.Name, d.SHA256)
	}
	return nil
}
