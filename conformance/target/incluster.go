package target

import (
	"archive/tar"
	"bufio"
	"bytes"
	"cmp"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/keptn-conformance/keptn-conformance/fixtures"
)

// The in-cluster run: the suite as a Job (fixtures/kind/manifests/conformance-job.yaml) that
// certifies the installation from inside its cluster. The Job's container writes its artifacts
// to its log at the end (EmitResults); RunInCluster applies the Job, follows its log, and
// collects one tarball: the reports, the suite's log and the namespace's diagnostics.

// Marker lines around the results in the Job's log.
const (
	resultsBegin = "----- keptn-conformance results: begin (tar.gz, base64) -----"
	resultsEnd   = "----- keptn-conformance results: end sha256:"
	jobName      = "keptn-conformance"
)

// EmitResults writes dir as a gzipped tar, base64 in lines of 76 characters between marker
// lines, the end marker carrying the archive's SHA-256.
func EmitResults(w io.Writer, dir string) error {
	var buf bytes.Buffer
	if err := tarDir(&buf, dir, ""); err != nil {
		return err
	}
	sum := sha256.Sum256(buf.Bytes())
	enc := base64.StdEncoding.EncodeToString(buf.Bytes())
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "\n%s\n", resultsBegin)
	for len(enc) > 0 {
		n := min(76, len(enc))
		fmt.Fprintln(bw, enc[:n])
		enc = enc[n:]
	}
	fmt.Fprintf(bw, "%s%s -----\n", resultsEnd, hex.EncodeToString(sum[:]))
	return bw.Flush()
}

// splitResults separates a Job's log into the suite's output and the results archive.
func splitResults(log []byte) (output, archive []byte, err error) {
	var out, b64 bytes.Buffer
	var sum string
	in, found := false, false
	sc := bufio.NewScanner(bytes.NewReader(log))
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == resultsBegin:
			in, found = true, true
			b64.Reset()
		case in && strings.HasPrefix(line, resultsEnd):
			in = false
			sum = strings.TrimSuffix(strings.TrimPrefix(line, resultsEnd), " -----")
		case in:
			b64.WriteString(strings.TrimSpace(line))
		default:
			out.WriteString(line + "\n")
		}
	}
	if err := sc.Err(); err != nil {
		return nil, nil, err
	}
	switch {
	case !found:
		return out.Bytes(), nil, errors.New("the Job's log holds no results (the suite ended before writing them: its log says why)")
	case in:
		return out.Bytes(), nil, errors.New("the Job's log ends inside its results: they are cut off")
	}
	archive, err = base64.StdEncoding.DecodeString(b64.String())
	if err != nil {
		return out.Bytes(), nil, fmt.Errorf("the results in the Job's log are not base64: %w", err)
	}
	if got := sha256.Sum256(archive); hex.EncodeToString(got[:]) != sum {
		return out.Bytes(), nil, errors.New("the results in the Job's log do not match their SHA-256: the log was damaged")
	}
	return out.Bytes(), archive, nil
}

// InClusterRun says what RunInCluster runs and where.
type InClusterRun struct {
	Kubeconfig string
	Namespace  string
	Image      string
	// Args are added to the Job's suite flags (--procs, --label-filter, --implementation, ...).
	Args []string
	// Out is the tarball to write: reports/, logs/suite.log, diagnostics/.
	Out     string
	Timeout time.Duration
	// Log receives the suite's output as it runs.
	Log io.Writer
}

// RunInCluster runs the suite as a Job in the cluster and collects its results into one tarball.
// succeeded is the suite's verdict (its container's exit code 0); err is a run that could not be
// made or collected.
func RunInCluster(ctx context.Context, r InClusterRun) (succeeded bool, err error) {
	if r.Image == "" {
		return false, errors.New("the in-cluster run needs the suite's image: --image (scripts/conformance-image.sh builds it)")
	}
	k, err := connectKube(r.Kubeconfig, r.Namespace)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithTimeout(ctx, r.Timeout)
	defer cancel()
	manifest, err := renderJob(k.namespace, r.Image, r.Args)
	if err != nil {
		return false, err
	}
	if err := k.deleteJob(ctx); err != nil {
		return false, err
	}
	if err := k.apply(ctx, manifest); err != nil {
		return false, err
	}
	pod, err := k.jobPod(ctx)
	if err != nil {
		return false, err
	}
	k.follow(ctx, pod, r.Log)
	code, err := k.awaitExit(ctx, pod)
	if err != nil {
		return false, err
	}
	// The whole log, now that the container has ended (the followed stream may have broken off).
	log, err := k.cs.CoreV1().Pods(k.namespace).GetLogs(pod, &corev1.PodLogOptions{Container: jobName}).DoRaw(ctx)
	if err != nil {
		return false, fmt.Errorf("reading the log of pod %s: %w", pod, err)
	}
	output, archive, splitErr := splitResults(log)
	diag, err := os.MkdirTemp("", "keptn-conformance-diagnostics-")
	if err != nil {
		return false, err
	}
	defer os.RemoveAll(diag)
	if err := k.Diagnose(ctx, diag); err != nil {
		fmt.Fprintf(r.Log, "collecting diagnostics: %v\n", err)
	}
	if err := writeResults(r.Out, archive, output, diag); err != nil {
		return false, err
	}
	if splitErr != nil {
		return false, fmt.Errorf("pod %s (exit code %d): %w; its log and the diagnostics are in %s", pod, code, splitErr, r.Out)
	}
	return code == 0, nil
}

func renderJob(namespace, image string, args []string) ([]byte, error) {
	raw, err := fixtures.Read("kind/manifests/conformance-job.yaml")
	if err != nil {
		return nil, err
	}
	t, err := template.New("conformance-job.yaml").Option("missingkey=error").Funcs(template.FuncMap{
		"json": func(s string) (string, error) { b, err := json.Marshal(s); return string(b), err },
	}).Parse(string(raw))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = t.Execute(&b, map[string]any{"Namespace": namespace, "Image": image, "Args": args})
	return b.Bytes(), err
}

// deleteJob removes the Job of an earlier run and its pod, and waits until both are gone.
func (k *kube) deleteJob(ctx context.Context) error {
	jobs := k.cs.BatchV1().Jobs(k.namespace)
	err := jobs.Delete(ctx, jobName, metav1.DeleteOptions{PropagationPolicy: ptr(metav1.DeletePropagationForeground)})
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("deleting the Job of an earlier run: %w", err)
	}
	for {
		_, err := jobs.Get(ctx, jobName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		select {
		case <-ctx.Done():
			return errors.New("the Job of an earlier run was not gone in time")
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// jobPod awaits the Job's pod and its container's start (or end); it returns the pod's name.
func (k *kube) jobPod(ctx context.Context) (string, error) {
	pods := k.cs.CoreV1().Pods(k.namespace)
	var last string
	for {
		list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: "job-name=" + jobName})
		if err == nil {
			for _, p := range list.Items {
				for _, c := range p.Status.ContainerStatuses {
					if c.State.Running != nil || c.State.Terminated != nil {
						return p.Name, nil
					}
					if w := c.State.Waiting; w != nil && w.Reason != "ContainerCreating" {
						last = fmt.Sprintf("pod %s: %s: %s", p.Name, w.Reason, w.Message)
						if w.Reason == "ErrImagePull" || w.Reason == "ImagePullBackOff" || w.Reason == "ErrImageNeverPull" || w.Reason == "CreateContainerConfigError" {
							return "", fmt.Errorf("the Job's container cannot start: %s", last)
						}
					}
				}
			}
		}
		select {
		case <-ctx.Done():
			return "", fmt.Errorf("the Job's pod did not start in time (%s)", cmp.Or(last, "no pod"))
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// follow copies the container's log to w while it runs, without the results' lines.
func (k *kube) follow(ctx context.Context, pod string, w io.Writer) {
	stream, err := k.cs.CoreV1().Pods(k.namespace).GetLogs(pod, &corev1.PodLogOptions{Container: jobName, Follow: true}).Stream(ctx)
	if err != nil {
		fmt.Fprintf(w, "following the log of pod %s: %v\n", pod, err)
		return
	}
	defer stream.Close()
	sc := bufio.NewScanner(stream)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	in := false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == resultsBegin:
			in = true
			fmt.Fprintln(w, "(the results follow in the log: collecting them)")
		case in && strings.HasPrefix(line, resultsEnd):
			in = false
		case !in:
			fmt.Fprintln(w, line)
		}
	}
}

// awaitExit waits until the Job's container has ended and returns its exit code.
func (k *kube) awaitExit(ctx context.Context, pod string) (int32, error) {
	for {
		p, err := k.cs.CoreV1().Pods(k.namespace).Get(ctx, pod, metav1.GetOptions{})
		if err == nil {
			for _, c := range p.Status.ContainerStatuses {
				if t := c.State.Terminated; t != nil && c.Name == jobName {
					return t.ExitCode, nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return 0, fmt.Errorf("the suite in pod %s did not end in time", pod)
		case <-time.After(time.Second):
		}
	}
}

// writeResults writes the tarball: the Job's artifacts under reports/, its log (without the
// results) as logs/suite.log, and the diagnostics directory under diagnostics/.
func writeResults(out string, archive, suiteLog []byte, diag string) error {
	if dir := filepath.Dir(out); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	gz := gzip.NewWriter(f)
	tw := tar.NewWriter(gz)
	now := time.Now()
	add := func(name string, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), ModTime: now, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	err = add("logs/suite.log", suiteLog)
	if err == nil && archive != nil {
		err = copyArchive(tw, archive, "reports/")
	}
	if err == nil {
		err = addDir(tw, diag, "diagnostics/")
	}
	for _, c := range []io.Closer{tw, gz, f} {
		if cerr := c.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// copyArchive copies the entries of a gzipped tar into tw under prefix.
func copyArchive(tw *tar.Writer, archive []byte, prefix string) error {
	gz, err := gzip.NewReader(bytes.NewReader(archive))
	if err != nil {
		return fmt.Errorf("the Job's results: %w", err)
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("the Job's results: %w", err)
		}
		h.Name = prefix + h.Name
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := io.Copy(tw, tr); err != nil {
			return err
		}
	}
}

// tarDir writes dir as a gzipped tar to w, its entries under prefix.
func tarDir(w io.Writer, dir, prefix string) error {
	gz := gzip.NewWriter(w)
	tw := tar.NewWriter(gz)
	if err := addDir(tw, dir, prefix); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return gz.Close()
}

// addDir adds the regular files under dir to tw, under prefix.
func addDir(tw *tar.Writer, dir, prefix string) error {
	return filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		h, err := tar.FileInfoHeader(info, "")
		if err != nil {
			return err
		}
		h.Name = prefix + filepath.ToSlash(rel)
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = io.Copy(tw, f)
		return err
	})
}
