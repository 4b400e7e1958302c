package target

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
)

// The gateway's URLs follow the kind config's host ports, and a config that maps none is one
// message naming the NodePort.
func TestKindEndpointsFollowTheConfigsHostPorts(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "cluster.yaml")
	raw, err := os.ReadFile(filepath.Join(moduleRoot(), "fixtures/kind/cluster.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cfg, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	if h, s, err := kindEndpoints(cfg); err != nil || h != "http://127.0.0.1:30080" || s != "https://127.0.0.1:30443" {
		t.Fatalf("fixtures/kind/cluster.yaml: %q %q %v", h, s, err)
	}
	moved := strings.ReplaceAll(strings.ReplaceAll(string(raw), "hostPort: 30080", "hostPort: 31080"), "hostPort: 30443", "hostPort: 31443")
	if err := os.WriteFile(cfg, []byte(moved), 0o644); err != nil {
		t.Fatal(err)
	}
	if h, s, err := kindEndpoints(cfg); err != nil || h != "http://127.0.0.1:31080" || s != "https://127.0.0.1:31443" {
		t.Fatalf("moved ports: %q %q %v", h, s, err)
	}
	if err := os.WriteFile(cfg, []byte("kind: Cluster\napiVersion: kind.x-k8s.io/v1alpha4\nnodes: [{role: control-plane}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := kindEndpoints(cfg); err == nil || !strings.Contains(err.Error(), "NodePort 30080") {
		t.Fatalf("no mapping: %v", err)
	}
}

// With --install, the reference manifest keeps its backends and loses its gateway.
func TestWithoutGatewayKeepsTheBackends(t *testing.T) {
	m, err := renderManifest("img", 1)
	if err != nil {
		t.Fatal(err)
	}
	out, err := withoutGateway(m)
	if err != nil {
		t.Fatal(err)
	}
	kept := map[string]int{}
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(string(out)), 4096)
	for {
		var obj map[string]any
		if dec.Decode(&obj) != nil {
			break
		}
		meta := obj["metadata"].(map[string]any)
		kept[obj["kind"].(string)+"/"+meta["name"].(string)]++
	}
	for _, want := range []string{"Deployment/api-service", "Deployment/configuration-service", "Deployment/mongodb-datastore", "Service/api-service", "Namespace/keptn",
		"Deployment/conformance-echo", "Service/conformance-echo"} {
		if kept[want] != 1 {
			t.Errorf("%s: kept %d times, want once (kept %v)", want, kept[want], kept)
		}
	}
	for _, gone := range []string{"Deployment/" + kindGateway, "Service/" + kindGateway} {
		if kept[gone] != 0 {
			t.Errorf("%s kept", gone)
		}
	}
}

// A workload of --install running a loaded image names its ID on the pod template; others are
// left alone.
func TestWithImageIDsAnnotatesWorkloadsOfLoadedImages(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(moduleRoot(), "fixtures/kind/nginx/nginx.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := withImageIDs(raw, map[string]string{"keptn-conformance/nginx-gateway:local": "sha256:abc"})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"keptn-conformance/image-ids":"keptn-conformance/nginx-gateway:local@sha256:abc"`) {
		t.Fatalf("no annotation in %s", out)
	}
	if strings.Count(string(out), imageIDsAnnotation) != 1 {
		t.Fatalf("annotated more than the Deployment: %s", out)
	}
	out, err = withImageIDs(raw, map[string]string{"other:1": "sha256:abc"})
	if err != nil || strings.Contains(string(out), imageIDsAnnotation) {
		t.Fatalf("annotated for an image it does not run: %v %s", err, out)
	}
}

// Flags that cannot make an installation are one message each.
func TestInstallFlagsAreChecked(t *testing.T) {
	empty := t.TempDir()
	base := Config{GatewayImage: "img", TokenSecret: tokenSecret, TLSSecret: tlsSecret, ReferenceBackends: true}
	for name, c := range map[string]struct {
		mod  func(*Config)
		want string
	}{
		"no gateway image":       {func(c *Config) { c.GatewayImage = "" }, "--gateway-image"},
		"load without install":   {func(c *Config) { c.LoadImages = "x" }, "--install DIR"},
		"empty install dir":      {func(c *Config) { c.Install = empty }, "holds no manifest"},
		"missing install dir":    {func(c *Config) { c.Install = filepath.Join(empty, "nope") }, "--install"},
		"token secret renamed":   {func(c *Config) { c.Install = filepath.Join(moduleRoot(), "fixtures/kind/nginx"); c.TokenSecret = "t" }, "--reference-backends=false"},
		"a user's install is ok": {func(c *Config) { c.Install = filepath.Join(moduleRoot(), "fixtures/kind/nginx") }, ""},
		"negative replicas":      {func(c *Config) { c.APIServiceReplicas = -1 }, "--api-service-replicas"},
		"replicas, own backends": {func(c *Config) {
			c.Install = filepath.Join(moduleRoot(), "fixtures/kind/nginx")
			c.ReferenceBackends = false
			c.APIServiceReplicas = 2
		}, "reference backends"},
		"two replicas are ok":  {func(c *Config) { c.APIServiceReplicas = 2 }, ""},
		"echo without install": {func(c *Config) { c.EchoPrefix = "/api/echo" }, "--install DIR"},
		"echo websocket alone": {func(c *Config) { c.EchoWebsocket = "/api/echo/websocket" }, "--install DIR"},
		"echo with install is ok": {func(c *Config) {
			c.Install = filepath.Join(moduleRoot(), "fixtures/kind/nginx")
			c.EchoPrefix, c.EchoWebsocket = "/api/echo", "/api/echo/websocket"
		}, ""},
	} {
		cfg := base
		c.mod(&cfg)
		err := checkInstallFlags(cfg)
		if c.want == "" {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want an error naming %s", name, err, c.want)
		}
	}
}

// More than one api-service replica makes it a StatefulSet with a volume per replica (for its own
// lifecycle journal), in place of the Deployment and its one claim, sharing the rest of its state.
func TestReplicatedAPIServiceIsAStatefulSet(t *testing.T) {
	for _, tc := range []struct {
		replicas    int
		want, notIn []string
	}{
		{1, []string{"Deployment/api-service", "PersistentVolumeClaim/api-service-data"}, []string{"StatefulSet/api-service"}},
		{2, []string{"StatefulSet/api-service", "PersistentVolumeClaim/configuration-service-data"}, []string{"Deployment/api-service", "PersistentVolumeClaim/api-service-data"}},
	} {
		m, err := renderManifest("img", tc.replicas)
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]map[string]any{}
		dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(string(m)), 4096)
		for {
			var obj map[string]any
			if dec.Decode(&obj) != nil {
				break
			}
			meta := obj["metadata"].(map[string]any)
			kinds[obj["kind"].(string)+"/"+meta["name"].(string)] = obj
		}
		for _, w := range tc.want {
			if kinds[w] == nil {
				t.Errorf("replicas %d: no %s", tc.replicas, w)
			}
		}
		for _, n := range tc.notIn {
			if kinds[n] != nil {
				t.Errorf("replicas %d: %s", tc.replicas, n)
			}
		}
		// More than one replica: one installation, its state shared through configuration-service's
		// internal state port, which only api-service's pods may reach.
		shared := tc.replicas > 1
		args := func(kind string) string {
			obj := kinds[kind]
			if obj == nil {
				return ""
			}
			c := obj["spec"].(map[string]any)["template"].(map[string]any)["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)
			return fmt.Sprint(c["args"], c["ports"])
		}
		api := args("StatefulSet/api-service") + args("Deployment/api-service")
		if strings.Contains(api, "--state-url=http://configuration-service:8081") != shared {
			t.Errorf("replicas %d: api-service %s", tc.replicas, api)
		}
		if cs := args("Deployment/configuration-service"); strings.Contains(cs, "--state-http=:8081") != shared || strings.Contains(cs, "8081") != shared {
			t.Errorf("replicas %d: configuration-service %s", tc.replicas, cs)
		}
		if svc := fmt.Sprint(kinds["Service/configuration-service"]["spec"]); strings.Contains(svc, "8081") != shared {
			t.Errorf("replicas %d: the configuration-service Service %s", tc.replicas, svc)
		}
		if (kinds["NetworkPolicy/configuration-service-state"] != nil) != shared {
			t.Errorf("replicas %d: the state port's NetworkPolicy there: %v", tc.replicas, !shared)
		}
		if np := kinds["NetworkPolicy/configuration-service-state"]; np != nil {
			if in := fmt.Sprint(np["spec"]); !strings.Contains(in, "api-service") || !strings.Contains(in, "8081") || !strings.Contains(in, "8080") {
				t.Errorf("NetworkPolicy %s", in)
			}
		}
		if s := kinds["StatefulSet/api-service"]; s != nil {
			spec := s["spec"].(map[string]any)
			if spec["replicas"] != float64(tc.replicas) && spec["replicas"] != int64(tc.replicas) {
				t.Errorf("replicas %v", spec["replicas"])
			}
			if spec["podManagementPolicy"] != "Parallel" || spec["volumeClaimTemplates"] == nil {
				t.Errorf("statefulset spec %v", spec)
			}
		}
	}
}

// The reference manifests run the echo role beside the backends, and the gateway routes
// /api/echo to it.
func TestKindManifestHasTheEchoBackend(t *testing.T) {
	m, err := renderManifest("img", 1)
	if err != nil {
		t.Fatal(err)
	}
	objs := map[string]map[string]any{}
	dec := utilyaml.NewYAMLOrJSONDecoder(strings.NewReader(string(m)), 4096)
	for {
		var obj map[string]any
		if dec.Decode(&obj) != nil {
			break
		}
		objs[obj["kind"].(string)+"/"+obj["metadata"].(map[string]any)["name"].(string)] = obj
	}
	args := func(name string) []any {
		d := objs["Deployment/"+name]
		if d == nil {
			t.Fatalf("no Deployment %s", name)
		}
		tmpl := d["spec"].(map[string]any)["template"].(map[string]any)
		return tmpl["spec"].(map[string]any)["containers"].([]any)[0].(map[string]any)["args"].([]any)
	}
	if a := args("conformance-echo"); !slices.Contains(a, any("--role=echo")) {
		t.Errorf("the echo Deployment runs %v", a)
	}
	if objs["Service/conformance-echo"] == nil {
		t.Error("no Service conformance-echo")
	}
	if a := args(kindGateway); !slices.Contains(a, any("--echo-url=http://conformance-echo:8080")) {
		t.Errorf("the gateway runs %v, without the echo backend's URL", a)
	}
}

// The reference installation has its echo backend at /api/echo, as the embedded target's; a
// user's installation has the one its flags name, or none.
func TestKindEchoBackend(t *testing.T) {
	spec, why, err := kindEcho(Config{})
	if err != nil || why != "" || spec == nil || spec.Prefix != "/api/echo" || spec.UpstreamPrefix != "" || spec.Websocket != "/api/echo/websocket" {
		t.Fatalf("reference installation: %+v %q %v", spec, why, err)
	}
	nginx := filepath.Join(moduleRoot(), "fixtures/kind/nginx")
	if spec, why, err := kindEcho(Config{Install: nginx}); err != nil || spec != nil || !strings.Contains(why, "--echo-prefix") {
		t.Errorf("--install without --echo-prefix: %+v %q %v", spec, why, err)
	}
	spec, why, err = kindEcho(Config{Install: nginx, EchoPrefix: "/api/echo/", EchoWebsocket: "/api/echo/websocket"})
	if err != nil || why != "" || spec == nil || spec.Prefix != "/api/echo" || spec.Websocket != "/api/echo/websocket" {
		t.Errorf("--install with --echo-prefix: %+v %q %v", spec, why, err)
	}
	if _, _, err := kindEcho(Config{Install: nginx, EchoPrefix: "api/echo"}); err == nil {
		t.Error("--echo-prefix without a leading slash accepted")
	}
}
