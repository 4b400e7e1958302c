package target

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	kindv1alpha4 "sigs.k8s.io/kind/pkg/apis/config/v1alpha4"
	"sigs.k8s.io/kind/pkg/cluster"
	kindcmd "sigs.k8s.io/kind/pkg/cmd"
	loadimage "sigs.k8s.io/kind/pkg/cmd/kind/load/docker-image"
	"sigs.k8s.io/yaml"

	"github.com/keptn-conformance/keptn-conformance/conformance/pki"
	"github.com/keptn-conformance/keptn-conformance/fixtures"
	"github.com/keptn-conformance/keptn-conformance/gateway/edge"
)

// The kind installation's fixed facts.
const (
	kindNamespace   = "keptn"
	kindHTTPPort    = 30080 // the gateway's NodePorts; the kind config maps them to host ports
	kindHTTPSPort   = 30443
	kindDomain      = "localhost"
	kindSessionTTL  = "10s"
	tokenSecret     = "keptn-api-token" // the names the reference installation reads
	tlsSecret       = "api-gateway-tls"
	kindGateway     = "api-gateway-nginx" // the reference gateway's Deployment and Service
	usersSecret     = "keptn-users"
	sessionSecret   = "keptn-conformance-session" // the session user's password, for re-runs on a kept cluster
	kindSessionUser = "conformance"
)

// timing appends "phase seconds" to ARTIFACTS/timing.log and says it on stderr.
func timing(artifacts, phase string, since time.Time) {
	line := fmt.Sprintf("timing: %s %.1fs\n", phase, time.Since(since).Seconds())
	fmt.Fprint(os.Stderr, line)
	if artifacts == "" {
		return
	}
	_ = os.MkdirAll(artifacts, 0o755)
	if f, err := os.OpenFile(filepath.Join(artifacts, "timing.log"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644); err == nil {
		_, _ = f.WriteString(line)
		f.Close()
	}
}

// setupKind makes a kind cluster (or reuses a kept one), loads the reference gateway's image,
// installs it with fixtures/kind/manifests (or a user's installation, --install), and describes
// it. Teardown deletes the cluster unless it is to be kept.
func setupKind(ctx context.Context, cfg Config) (*Description, func(), error) {
	cfg.TokenSecret = cmp.Or(cfg.TokenSecret, tokenSecret)
	cfg.TLSSecret = cmp.Or(cfg.TLSSecret, tlsSecret)
	cfg.APIServiceReplicas = cmp.Or(cfg.APIServiceReplicas, 1)
	if err := checkInstallFlags(cfg); err != nil {
		return nil, nil, err
	}
	echoBackend, noEcho, err := kindEcho(cfg)
	if err != nil {
		return nil, nil, err
	}
	httpURL, httpsURL, err := kindEndpoints(cfg.KindConfigFile)
	if err != nil {
		return nil, nil, err
	}
	provider := cluster.NewProvider(cluster.ProviderWithLogger(kindcmd.NewLogger()))
	clusters, err := provider.List()
	if err != nil {
		return nil, nil, fmt.Errorf("listing kind clusters (is Docker running? scripts/docker-setup.sh): %w", err)
	}
	name := cfg.KindCluster
	exists := slices.Contains(clusters, name)
	if exists && !cfg.KeepCluster {
		return nil, nil, fmt.Errorf("a kind cluster %q exists already: delete it (kind delete cluster --name %s) or reuse it with --keep-cluster", name, name)
	}
	teardown := func() {
		if cfg.KeepCluster {
			fmt.Fprintf(os.Stderr, "keeping kind cluster %s (delete it with: go run sigs.k8s.io/kind delete cluster --name %s)\n", name, name)
			return
		}
		start := time.Now()
		if err := provider.Delete(name, ""); err != nil {
			fmt.Fprintf(os.Stderr, "deleting kind cluster %s: %v\n", name, err)
		}
		timing(cfg.ArtifactsDir, "teardown", start)
	}
	if !exists {
		start := time.Now()
		opts := []cluster.CreateOption{
			cluster.CreateWithConfigFile(cfg.KindConfigFile), cluster.CreateWithWaitForReady(3 * time.Minute),
			cluster.CreateWithDisplayUsage(false), cluster.CreateWithDisplaySalutation(false),
		}
		if cfg.KindNodeImage != "" {
			opts = append(opts, cluster.CreateWithNodeImage(cfg.KindNodeImage))
		}
		if err := provider.Create(name, opts...); err != nil {
			return nil, teardown, fmt.Errorf("creating kind cluster %s: %w", name, err)
		}
		timing(cfg.ArtifactsDir, "cluster", start)
	} else {
		fmt.Fprintf(os.Stderr, "reusing kind cluster %s\n", name)
	}
	if ctx.Err() != nil {
		return nil, teardown, ctx.Err()
	}
	if err := refuseTrafficWithoutRoute(provider, name, cfg.KindConfigFile); err != nil {
		return nil, teardown, err
	}

	start := time.Now()
	kubeconfig, err := provider.KubeConfig(name, false)
	if err != nil {
		return nil, teardown, err
	}
	kubeconfigFile := filepath.Join(cfg.ArtifactsDir, "kubeconfig")
	if err := os.MkdirAll(cfg.ArtifactsDir, 0o755); err != nil {
		return nil, teardown, err
	}
	if err := os.WriteFile(kubeconfigFile, []byte(kubeconfig), 0o600); err != nil {
		return nil, teardown, err
	}
	imageIDs := map[string]string{}
	for _, image := range kindImages(cfg) {
		load := loadimage.NewCommand(kindcmd.NewLogger(), kindcmd.StandardIOStreams())
		load.SetArgs([]string{image, "--name", name})
		if err := load.Execute(); err != nil {
			return nil, teardown, fmt.Errorf("loading %s into the cluster: %w", image, err)
		}
		id, err := exec.Command("docker", "image", "inspect", "--format", "{{.Id}}", image).Output()
		if err != nil {
			return nil, teardown, fmt.Errorf("docker image inspect %s: %w", image, err)
		}
		imageIDs[image] = strings.TrimSpace(string(id))
	}
	k, err := connectKube(kubeconfigFile, kindNamespace)
	if err != nil {
		return nil, teardown, err
	}
	ictx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	inst, err := install(ictx, k, cfg, imageIDs)
	if err != nil {
		diag := filepath.Join(cfg.ArtifactsDir, "diagnostics", "install")
		_ = k.Diagnose(context.Background(), diag)
		return nil, teardown, fmt.Errorf("installing the gateway (pods, events and logs in %s): %w", diag, err)
	}
	d := &Description{
		Kind:           KindKind,
		Implementation: Implementation{Name: "keptn-gateway (reference implementation) on kind", Endpoint: httpURL, Target: KindKind},
		HTTP:           httpURL, HTTPS: httpsURL, ServerName: kindDomain, Domain: kindDomain,
		CAPEM:      inst.caPEM,
		Token:      inst.token,
		Session:    &Credentials{Username: kindSessionUser, Password: inst.password},
		TokenStore: &StoreSpec{Kubeconfig: kubeconfigFile, Namespace: kindNamespace, Secret: cfg.TokenSecret, Key: cfg.TokenSecret},
		CertStore:  &StoreSpec{Kubeconfig: kubeconfigFile, Namespace: kindNamespace, Secret: cfg.TLSSecret},
		Kubeconfig: kubeconfigFile,
		Restart:    &RestartSpec{Kubeconfig: kubeconfigFile, Namespace: kindNamespace},
		// The documented reset restarts api-service: the reference gateway does not declare hot
		// reload on Kubernetes, where a changed Secret reaches a running pod only after a while.
		HotReload: false,
	}
	if cfg.APIServiceSelector != "" {
		d.TokenStore.Selectors = []string{cfg.APIServiceSelector}
	}
	if cfg.Install != "" {
		d.Implementation.Name = cfg.Implementation
		if d.Implementation.Name == "" {
			d.Implementation.Name = "the installation in " + cfg.Install + " on kind"
		}
		d.HotReload = cfg.HotReload
	}
	if d.Echo = echoBackend; d.Echo == nil {
		d.Missing = map[string]string{CapEcho: noEcho}
	}
	if err := Ready(ictx, d); err != nil {
		return nil, teardown, err
	}
	timing(cfg.ArtifactsDir, "install", start)
	return d, teardown, nil
}

// refuseTrafficWithoutRoute makes every node refuse a forwarded connection that has nowhere to
// go in the cluster instead of sending it out by its default route: to the Service range when
// kube-proxy did not translate it to a pod, and to a pod address no pod has (a deleted pod's,
// still in an endpoint list for a moment). This machine's host answers such connections itself
// (an empty 404 on port 80; on 443 a TLS proxy's certificate for package registries), and the
// gateway or the suite took that for the pod's answer: on kind with two api-service replicas, 11
// of 493 requests through a rotation were answered 502 at once, their auth subrequests answered
// 404 by no api-service (none logged it), within 50 ms of the new pods turning ready; a run right
// after the nginx gateway was replaced met the proxy's certificate on the HTTPS NodePort. Refused
// here, the attempt fails at once and is retried.
func refuseTrafficWithoutRoute(provider *cluster.Provider, name, configFile string) error {
	services, pods := "10.96.0.0/16", "10.244.0.0/16" // kind's defaults
	if raw, err := os.ReadFile(configFile); err == nil {
		var c kindv1alpha4.Cluster
		if yaml.Unmarshal(raw, &c) == nil {
			services, pods = cmp.Or(c.Networking.ServiceSubnet, services), cmp.Or(c.Networking.PodSubnet, pods)
		}
	}
	nodes, err := provider.ListNodes(name)
	if err != nil {
		return fmt.Errorf("listing the nodes of kind cluster %s: %w", name, err)
	}
	rule := []string{"FORWARD", "-d", services, "-m", "comment", "--comment", "keptn-conformance: refuse Service traffic kube-proxy did not translate",
		"-j", "REJECT", "--reject-with", "icmp-port-unreachable"}
	// The pod range as a whole is prohibited: each pod's own route (and another node's range
	// where a CNI routes one) is more specific and still wins.
	route := []string{"route", "replace", "prohibit", pods}
	for _, n := range nodes {
		run := func(args ...string) error {
			var out bytes.Buffer
			if err := n.Command(args[0], args[1:]...).SetStderr(&out).Run(); err != nil {
				return fmt.Errorf("node %s: %s: %v: %s", n, strings.Join(args, " "), err, out.String())
			}
			return nil
		}
		// A kept cluster has the rule already (iptables -C); the route is replaced in place.
		if n.Command("iptables", append([]string{"-C"}, rule...)...).Run() != nil {
			if err := run(append([]string{"iptables", "-A"}, rule...)...); err != nil {
				return err
			}
		}
		if err := run(append([]string{"ip"}, route...)...); err != nil {
			return err
		}
	}
	return nil
}

type installation struct {
	token, password, caPEM string
}

// kindEndpoints are the gateway's URLs on this machine: the host ports the kind config maps to
// the NodePorts 30080 (HTTP) and 30443 (HTTPS), so that clusters with configs of their own can
// run side by side.
func kindEndpoints(configFile string) (httpURL, httpsURL string, err error) {
	raw, err := os.ReadFile(configFile)
	if err != nil {
		return "", "", fmt.Errorf("kind config: %w", err)
	}
	var c kindv1alpha4.Cluster
	if err := yaml.Unmarshal(raw, &c); err != nil {
		return "", "", fmt.Errorf("kind config %s: %w", configFile, err)
	}
	urls := map[int32]string{}
	for _, n := range c.Nodes {
		for _, m := range n.ExtraPortMappings {
			host := m.ListenAddress
			if host == "" || host == "0.0.0.0" {
				host = "127.0.0.1"
			}
			if m.HostPort > 0 {
				urls[m.ContainerPort] = net.JoinHostPort(host, strconv.Itoa(int(m.HostPort)))
			}
		}
	}
	for _, p := range []int32{kindHTTPPort, kindHTTPSPort} {
		if urls[p] == "" {
			return "", "", fmt.Errorf("kind config %s maps no host port to the gateway's NodePort %d (extraPortMappings)", configFile, p)
		}
	}
	return "http://" + urls[kindHTTPPort], "https://" + urls[kindHTTPSPort], nil
}

// A user's installation (--install DIR): the manifests in DIR (*.yaml, *.yml, *.json, in name
// order, each file applied on its own with server-side apply) instead of the reference gateway,
// after the Secrets are made, and by default in front of the reference backends: everything of
// fixtures/kind/manifests but the gateway's Deployment and Service (kindGateway). --load-image
// loads the images they name, --token-secret, --tls-secret and --api-service-selector say where
// the token and certificate capabilities act, --echo-prefix (with --echo-upstream-prefix and
// --echo-websocket) where its gateway routes to the echo backend (kindEcho). fixtures/kind/nginx
// is the worked example.

// checkInstallFlags refuses, in one message, flags that cannot make an installation.
func checkInstallFlags(cfg Config) error {
	reference := cfg.Install == "" || cfg.ReferenceBackends
	if reference && cfg.GatewayImage == "" {
		return errors.New("the kind target needs the reference gateway's image: --gateway-image (make e2e builds it with scripts/gateway-image.sh)")
	}
	if cfg.Install == "" {
		if cfg.LoadImages != "" || cfg.TLSSecret != tlsSecret {
			return errors.New("--load-image and --tls-secret are for a gateway of your own: give its manifests with --install DIR")
		}
		if cfg.EchoPrefix != "" || cfg.EchoUpstreamPrefix != "" || cfg.EchoWebsocket != "" {
			return errors.New("--echo-prefix, --echo-upstream-prefix and --echo-websocket are for a gateway of your own (--install DIR): the reference gateway routes /api/echo to its echo backend")
		}
	} else if _, err := installFiles(cfg.Install); err != nil {
		return err
	}
	if cfg.APIServiceReplicas < 0 {
		return fmt.Errorf("--api-service-replicas %d: at least 1", cfg.APIServiceReplicas)
	}
	if !reference && cfg.APIServiceReplicas > 1 {
		return errors.New("--api-service-replicas is for the reference api-service: it needs the reference backends")
	}
	if reference && cfg.TokenSecret != tokenSecret {
		return fmt.Errorf("the reference installation reads the token from the Secret %s: --token-secret %s needs --install with --reference-backends=false", tokenSecret, cfg.TokenSecret)
	}
	return nil
}

// kindEcho is the echo backend behind the installation's gateway, for the Upstream profile: the
// reference gateway routes /api/echo to the manifest's conformance-echo (--echo-url), as the
// embedded target's does; a gateway of your own (--install) has the one its flags name
// (--echo-prefix, as on an external target), and none without them.
func kindEcho(cfg Config) (*EchoSpec, string, error) {
	if cfg.Install != "" {
		return echoSpec(cfg)
	}
	return &EchoSpec{Prefix: edge.EchoPrefix, Websocket: edge.EchoPrefix + "/websocket"}, "", nil
}

// kindImages are the images to load into the cluster.
func kindImages(cfg Config) []string {
	var images []string
	if cfg.Install == "" || cfg.ReferenceBackends {
		images = append(images, cfg.GatewayImage)
	}
	for _, image := range strings.Split(cfg.LoadImages, ",") {
		if image = strings.TrimSpace(image); image != "" {
			images = append(images, image)
		}
	}
	return images
}

// installFiles lists the manifests of an --install directory.
func installFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("--install: %w", err)
	}
	var files []string
	for _, e := range entries {
		if ext := filepath.Ext(e.Name()); !e.IsDir() && (ext == ".yaml" || ext == ".yml" || ext == ".json") {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("--install %s holds no manifest (*.yaml, *.yml, *.json)", dir)
	}
	return files, nil
}

// withoutGateway is a manifest without the reference gateway's Deployment and Service.
func withoutGateway(manifest []byte) ([]byte, error) {
	return eachObject(manifest, func(obj *unstructured.Unstructured) bool { return obj.GetName() != kindGateway })
}

// imageIDsAnnotation names, on the pod template of a workload of --install, the IDs of the
// loaded images it runs: an image loaded again under the same tag (a kept cluster) changes the
// template, so its pods are replaced rather than left running the old image.
const imageIDsAnnotation = "keptn-conformance/image-ids"

// withImageIDs annotates the workloads of a manifest that run any of the loaded images.
func withImageIDs(manifest []byte, ids map[string]string) ([]byte, error) {
	return eachObject(manifest, func(obj *unstructured.Unstructured) bool {
		if k := obj.GetKind(); k != "Deployment" && k != "StatefulSet" && k != "DaemonSet" {
			return true
		}
		containers, _, _ := unstructured.NestedSlice(obj.Object, "spec", "template", "spec", "containers")
		var run []string
		for _, c := range containers {
			if m, ok := c.(map[string]any); ok {
				if image, _ := m["image"].(string); ids[image] != "" {
					run = append(run, image+"@"+ids[image])
				}
			}
		}
		if len(run) > 0 {
			slices.Sort(run)
			annotations, _, _ := unstructured.NestedStringMap(obj.Object, "spec", "template", "metadata", "annotations")
			if annotations == nil {
				annotations = map[string]string{}
			}
			annotations[imageIDsAnnotation] = strings.Join(run, ",")
			_ = unstructured.SetNestedStringMap(obj.Object, annotations, "spec", "template", "metadata", "annotations")
		}
		return true
	})
}

// eachObject is a manifest of the objects keep returns true for (it may change them), as JSON
// documents one after another.
func eachObject(manifest []byte, keep func(*unstructured.Unstructured) bool) ([]byte, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	var out bytes.Buffer
	for {
		var obj unstructured.Unstructured
		if err := dec.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out.Bytes(), nil
			}
			return nil, fmt.Errorf("manifest: %w", err)
		}
		if len(obj.Object) == 0 || !keep(&obj) {
			continue
		}
		b, err := obj.MarshalJSON()
		if err != nil {
			return nil, err
		}
		out.Write(b)
		out.WriteByte('\n')
	}
}

// install creates the Secrets the manifests expect (keeping those of a kept cluster), applies the
// manifests, and waits for every Deployment.
func install(ctx context.Context, k *kube, cfg Config, imageIDs map[string]string) (*installation, error) {
	var manifests [][]byte
	if cfg.Install == "" || cfg.ReferenceBackends {
		m, err := renderManifest(cfg.GatewayImage, cfg.APIServiceReplicas)
		if err != nil {
			return nil, err
		}
		if cfg.Install != "" {
			if m, err = withoutGateway(m); err != nil {
				return nil, err
			}
		}
		manifests = append(manifests, m)
	}
	if cfg.Install != "" {
		files, err := installFiles(cfg.Install)
		if err != nil {
			return nil, err
		}
		for _, f := range files {
			m, err := os.ReadFile(f)
			if err != nil {
				return nil, fmt.Errorf("--install: %w", err)
			}
			if m, err = withImageIDs(m, imageIDs); err != nil {
				return nil, fmt.Errorf("--install %s: %w", f, err)
			}
			manifests = append(manifests, m)
		}
	}
	// The namespace first: the Secrets live in it.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kindNamespace}}
	if _, err := k.cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	inst := &installation{}
	secrets := k.cs.CoreV1().Secrets(kindNamespace)
	// The API token: random, made at install (16 random bytes, base64, as the docs create it).
	if s, err := secrets.Get(ctx, cfg.TokenSecret, metav1.GetOptions{}); err == nil {
		inst.token = string(s.Data[cfg.TokenSecret])
	} else {
		inst.token = randomB64(16)
		if err := k.putSecret(ctx, cfg.TokenSecret, corev1.SecretTypeOpaque, map[string][]byte{cfg.TokenSecret: []byte(inst.token)}); err != nil {
			return nil, err
		}
	}
	// The certificate: self-signed for the domain, made at install.
	if s, err := secrets.Get(ctx, cfg.TLSSecret, metav1.GetOptions{}); err == nil {
		inst.caPEM = string(s.Data[corev1.TLSCertKey])
	} else {
		pair, err := pki.SelfSigned(kindDomain, 365*24*time.Hour)
		if err != nil {
			return nil, err
		}
		inst.caPEM = string(pair.CAPEM)
		if err := k.putSecret(ctx, cfg.TLSSecret, corev1.SecretTypeTLS, map[string][]byte{corev1.TLSCertKey: pair.CertPEM, corev1.TLSPrivateKeyKey: pair.KeyPEM}); err != nil {
			return nil, err
		}
	}
	// A session user, its password kept beside it for re-runs on a kept cluster.
	if s, err := secrets.Get(ctx, sessionSecret, metav1.GetOptions{}); err == nil {
		inst.password = string(s.Data["password"])
	} else {
		inst.password = randomB64(18)
		hash, err := bcrypt.GenerateFromPassword([]byte(inst.password), bcrypt.DefaultCost)
		if err != nil {
			return nil, err
		}
		users := fmt.Sprintf("users:\n  - username: %s\n    password_hash: %q\n    email: conformance@example.com\n    first_name: Conformance\n    last_name: Suite\n", kindSessionUser, hash)
		if err := k.putSecret(ctx, usersSecret, corev1.SecretTypeOpaque, map[string][]byte{"users.yaml": []byte(users)}); err != nil {
			return nil, err
		}
		if err := k.putSecret(ctx, sessionSecret, corev1.SecretTypeOpaque, map[string][]byte{"username": []byte(kindSessionUser), "password": []byte(inst.password)}); err != nil {
			return nil, err
		}
	}
	if cfg.Install == "" || cfg.ReferenceBackends {
		// On a kept cluster, api-service may be the other kind of workload (--api-service-replicas).
		if err := k.dropOtherAPIService(ctx, cfg.APIServiceReplicas > 1); err != nil {
			return nil, err
		}
	}
	for _, m := range manifests {
		if err := k.apply(ctx, m); err != nil {
			return nil, err
		}
	}
	if err := k.waitForDeployments(ctx); err != nil {
		return nil, err
	}
	return inst, k.waitForStatefulSets(ctx)
}

// dropOtherAPIService deletes api-service's Deployment when it is to be a StatefulSet, and the
// other way round, with its pods at once.
func (k *kube) dropOtherAPIService(ctx context.Context, statefulSet bool) error {
	apps := k.cs.AppsV1()
	fg := metav1.DeletePropagationForeground
	opts := metav1.DeleteOptions{PropagationPolicy: &fg}
	var err error
	if statefulSet {
		err = apps.Deployments(kindNamespace).Delete(ctx, "api-service", opts)
	} else {
		err = apps.StatefulSets(kindNamespace).Delete(ctx, "api-service", opts)
	}
	if err != nil && !apierrors.IsNotFound(err) {
		return err
	}
	return nil
}

// waitForStatefulSets waits until every StatefulSet of the namespace has all its replicas ready.
func (k *kube) waitForStatefulSets(ctx context.Context) error {
	for {
		list, err := k.cs.AppsV1().StatefulSets(k.namespace).List(ctx, metav1.ListOptions{})
		var pending []string
		if err == nil {
			for _, s := range list.Items {
				want := int32(1)
				if s.Spec.Replicas != nil {
					want = *s.Spec.Replicas
				}
				if s.Status.ObservedGeneration < s.Generation || s.Status.ReadyReplicas != want || s.Status.UpdatedReplicas != want {
					pending = append(pending, s.Name)
				}
			}
			if len(pending) == 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("statefulsets not ready in time: %s (%v)", strings.Join(pending, ", "), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func renderManifest(image string, apiServiceReplicas int) ([]byte, error) {
	raw, err := fixtures.Read("kind/manifests/keptn.yaml")
	if err != nil {
		return nil, err
	}
	t, err := template.New("keptn.yaml").Option("missingkey=error").Parse(string(raw))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	err = t.Execute(&b, map[string]any{
		"Image": image, "SessionTTL": kindSessionTTL, "APIServiceReplicas": apiServiceReplicas,
		"DataRoles":  []string{"api-service", "configuration-service", "mongodb-datastore"},
		"InnerRoles": []string{"configuration-service", "mongodb-datastore"},
		"AllRoles":   []string{"api-service", "configuration-service", "mongodb-datastore"},
	})
	return b.Bytes(), err
}

func randomB64(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Diagnose collects the installation's pods, events and logs into dir (a kind or Kubernetes
// target only).
func (t *Target) Diagnose(ctx context.Context, dir string) error {
	if t.Desc.Kubeconfig == "" {
		return nil
	}
	k, err := connectKube(t.Desc.Kubeconfig, kindNamespace)
	if err != nil {
		return err
	}
	return k.Diagnose(ctx, dir)
}
