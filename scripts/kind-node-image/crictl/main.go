//go:build ignore

// Command crictl is a small crictl-compatible client of the CRI image and
// runtime services for the offline kind node image (cri-tools is not on the
// Go module proxy). It implements what kind calls — `inspecti` (JSON with
// status.id and status.repoTags) and `images` — plus `ps`, `pods` and
// `version` for debugging. scripts/kind-node-image.sh builds it against
// k8s.io/cri-api at the Kubernetes minor it builds.
//
// The endpoint comes from --runtime-endpoint/-r, $CONTAINER_RUNTIME_ENDPOINT,
// runtime-endpoint in /etc/crictl.yaml, or containerd's default socket.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"
)

const defaultEndpoint = "unix:///run/containerd/containerd.sock"

func usage() {
	fmt.Fprintln(os.Stderr, `usage: crictl [-r ENDPOINT] [-t TIMEOUT] COMMAND [ARGS]
commands:
  inspecti IMAGE...          image status as JSON
  images [-q] [-o json] [IMAGE]  list images
  ps [-a] [-q]               list containers
  pods [-q]                  list pod sandboxes
  version                    runtime name and version`)
	os.Exit(2)
}

func main() {
	endpoint := os.Getenv("CONTAINER_RUNTIME_ENDPOINT")
	if endpoint == "" {
		endpoint = endpointFromConfig("/etc/crictl.yaml")
	}
	if endpoint == "" {
		endpoint = defaultEndpoint
	}
	timeout := 10 * time.Second

	args := os.Args[1:]
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		flag, value, hasValue := strings.Cut(args[0], "=")
		next := func() string {
			if hasValue {
				args = args[1:]
				return value
			}
			if len(args) < 2 {
				usage()
			}
			v := args[1]
			args = args[2:]
			return v
		}
		switch flag {
		case "-r", "--runtime-endpoint", "-i", "--image-endpoint":
			endpoint = next()
		case "-t", "--timeout":
			d, err := time.ParseDuration(next())
			if err != nil {
				fatal(err)
			}
			timeout = d
		case "-c", "--config":
			if e := endpointFromConfig(next()); e != "" {
				endpoint = e
			}
		case "-D", "--debug":
			args = args[1:]
		case "-h", "--help":
			usage()
		default:
			fatal(fmt.Errorf("unknown global flag %q", args[0]))
		}
	}
	if len(args) == 0 {
		usage()
	}

	conn, err := grpc.NewClient(endpoint, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	images := runtimeapi.NewImageServiceClient(conn)
	runtime := runtimeapi.NewRuntimeServiceClient(conn)

	cmd, rest := args[0], args[1:]
	switch cmd {
	case "inspecti":
		err = inspecti(ctx, images, rest)
	case "images", "image", "img":
		err = listImages(ctx, images, rest)
	case "ps":
		err = listContainers(ctx, runtime, rest)
	case "pods":
		err = listPods(ctx, runtime, rest)
	case "version":
		err = version(ctx, runtime)
	default:
		usage()
	}
	if err != nil {
		fatal(err)
	}
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "crictl:", err)
	os.Exit(1)
}

// endpointFromConfig reads runtime-endpoint from a crictl.yaml.
func endpointFromConfig(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		k, v, ok := strings.Cut(s.Text(), ":")
		if ok && strings.TrimSpace(k) == "runtime-endpoint" {
			return strings.Trim(strings.TrimSpace(v), `"'`)
		}
	}
	return ""
}

// imageJSON renders an Image with crictl's (protobuf JSON) field names.
func imageJSON(img *runtimeapi.Image) map[string]any {
	tags, digests := img.RepoTags, img.RepoDigests
	if tags == nil {
		tags = []string{}
	}
	if digests == nil {
		digests = []string{}
	}
	out := map[string]any{
		"id":          img.Id,
		"repoTags":    tags,
		"repoDigests": digests,
		"size":        fmt.Sprint(img.Size_),
		"uid":         nil,
		"username":    img.Username,
		"spec":        nil,
		"pinned":      img.Pinned,
	}
	if img.Uid != nil {
		out["uid"] = map[string]any{"value": fmt.Sprint(img.Uid.Value)}
	}
	if img.Spec != nil {
		out["spec"] = map[string]any{"image": img.Spec.Image, "annotations": img.Spec.Annotations}
	}
	return out
}

func printJSON(v any) error {
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func inspecti(ctx context.Context, c runtimeapi.ImageServiceClient, args []string) error {
	var refs []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			refs = append(refs, a)
		}
	}
	if len(refs) == 0 {
		return errors.New("inspecti: an image is required")
	}
	for _, ref := range refs {
		resp, err := c.ImageStatus(ctx, &runtimeapi.ImageStatusRequest{
			Image:   &runtimeapi.ImageSpec{Image: ref},
			Verbose: true,
		})
		if err != nil {
			return fmt.Errorf("image status for %q: %w", ref, err)
		}
		if resp.Image == nil {
			return fmt.Errorf("no such image %q present", ref)
		}
		info := map[string]any{}
		for k, v := range resp.Info {
			var raw json.RawMessage
			if json.Unmarshal([]byte(v), &raw) == nil {
				info[k] = raw
			} else {
				info[k] = v
			}
		}
		if err := printJSON(map[string]any{"status": imageJSON(resp.Image), "info": info}); err != nil {
			return err
		}
	}
	return nil
}

func listImages(ctx context.Context, c runtimeapi.ImageServiceClient, args []string) error {
	quiet, asJSON, filter := false, false, ""
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-q" || a == "--quiet":
			quiet = true
		case a == "-o" || a == "--output":
			if i+1 < len(args) {
				asJSON = args[i+1] == "json"
				i++
			}
		case a == "-o=json" || a == "--output=json":
			asJSON = true
		case !strings.HasPrefix(a, "-"):
			filter = a
		}
	}
	req := &runtimeapi.ListImagesRequest{}
	if filter != "" {
		req.Filter = &runtimeapi.ImageFilter{Image: &runtimeapi.ImageSpec{Image: filter}}
	}
	resp, err := c.ListImages(ctx, req)
	if err != nil {
		return err
	}
	imgs := resp.Images
	sort.Slice(imgs, func(i, j int) bool { return strings.Join(imgs[i].RepoTags, ",") < strings.Join(imgs[j].RepoTags, ",") })
	if asJSON {
		list := make([]any, 0, len(imgs))
		for _, img := range imgs {
			list = append(list, imageJSON(img))
		}
		return printJSON(map[string]any{"images": list})
	}
	if quiet {
		for _, img := range imgs {
			fmt.Println(img.Id)
		}
		return nil
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	fmt.Fprintln(w, "IMAGE\tTAG\tIMAGE ID\tSIZE")
	for _, img := range imgs {
		id := strings.TrimPrefix(img.Id, "sha256:")
		if len(id) > 13 {
			id = id[:13]
		}
		size := fmt.Sprintf("%.3gMB", float64(img.Size_)/1e6)
		if len(img.RepoTags) == 0 {
			fmt.Fprintf(w, "<none>\t<none>\t%s\t%s\n", id, size)
		}
		for _, t := range img.RepoTags {
			repo, tag := t, "<none>"
			if i := strings.LastIndex(t, ":"); i > strings.LastIndex(t, "/") {
				repo, tag = t[:i], t[i+1:]
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", repo, tag, id, size)
		}
	}
	return w.Flush()
}

func listContainers(ctx context.Context, c runtimeapi.RuntimeServiceClient, args []string) error {
	all, quiet := false, false
	for _, a := range args {
		switch a {
		case "-a", "--all":
			all = true
		case "-q", "--quiet":
			quiet = true
		}
	}
	req := &runtimeapi.ListContainersRequest{}
	if !all {
		req.Filter = &runtimeapi.ContainerFilter{State: &runtimeapi.ContainerStateValue{State: runtimeapi.ContainerState_CONTAINER_RUNNING}}
	}
	resp, err := c.ListContainers(ctx, req)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	if !quiet {
		fmt.Fprintln(w, "CONTAINER\tSTATE\tNAME\tATTEMPT\tPOD ID\tIMAGE")
	}
	for _, ctr := range resp.Containers {
		if quiet {
			fmt.Fprintln(w, ctr.Id)
			continue
		}
		fmt.Fprintf(w, "%.13s\t%s\t%s\t%d\t%.13s\t%s\n", ctr.Id, ctr.State, ctr.GetMetadata().GetName(),
			ctr.GetMetadata().GetAttempt(), ctr.PodSandboxId, ctr.GetImage().GetImage())
	}
	return w.Flush()
}

func listPods(ctx context.Context, c runtimeapi.RuntimeServiceClient, args []string) error {
	quiet := len(args) > 0 && (args[0] == "-q" || args[0] == "--quiet")
	resp, err := c.ListPodSandbox(ctx, &runtimeapi.ListPodSandboxRequest{})
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 8, 3, ' ', 0)
	if !quiet {
		fmt.Fprintln(w, "POD ID\tSTATE\tNAME\tNAMESPACE\tATTEMPT")
	}
	for _, p := range resp.Items {
		if quiet {
			fmt.Fprintln(w, p.Id)
			continue
		}
		fmt.Fprintf(w, "%.13s\t%s\t%s\t%s\t%d\n", p.Id, p.State, p.GetMetadata().GetName(),
			p.GetMetadata().GetNamespace(), p.GetMetadata().GetAttempt())
	}
	return w.Flush()
}

func version(ctx context.Context, c runtimeapi.RuntimeServiceClient) error {
	v, err := c.Version(ctx, &runtimeapi.VersionRequest{})
	if err != nil {
		return err
	}
	fmt.Printf("Version:  %s\nRuntimeName:  %s\nRuntimeVersion:  %s\nRuntimeApiVersion:  %s\n",
		v.Version, v.RuntimeName, v.RuntimeVersion, v.RuntimeApiVersion)
	return nil
}
