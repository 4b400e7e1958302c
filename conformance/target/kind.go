package target

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"text/template"
	"time"

	"golang.org/x/crypto/bcrypt"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/kind/pkg/cluster"
	kindcmd "sigs.k8s.io/kind/pkg/cmd"
	loadimage "sigs.k8s.io/kind/pkg/cmd/kind/load/docker-image"

	"github.com/keptn-conformance/keptn-conformance/conformance/pki"
	"github.com/keptn-conformance/keptn-conformance/fixtures"
)

// The kind installation's fixed facts.
const (
	kindNamespace   = "keptn"
	kindHTTP        = "http://127.0.0.1:30080"  // fixtures/kind/cluster.yaml maps the NodePorts here
	kindHTTPS       = "https://127.0.0.1:30443" //
	kindDomain      = "localhost"
	kindSessionTTL  = "10s"
	tokenSecret     = "keptn-api-token"
	tlsSecret       = "api-gateway-tls"
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
// installs it with fixtures/kind/manifests, and describes it. Teardown deletes the cluster unless
// it is to be kept.
func setupKind(ctx context.Context, cfg Config) (*Description, func(), error) {
	if cfg.GatewayImage == "" {
		return nil, nil, errors.New("the kind target needs the gateway's image: --gateway-image (make e2e builds it with scripts/gateway-image.sh)")
	}
	if _, err := os.Stat(cfg.KindConfigFile); err != nil {
		return nil, nil, fmt.Errorf("kind config: %w", err)
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
	load := loadimage.NewCommand(kindcmd.NewLogger(), kindcmd.StandardIOStreams())
	load.SetArgs([]string{cfg.GatewayImage, "--name", name})
	if err := load.Execute(); err != nil {
		return nil, teardown, fmt.Errorf("loading %s into the cluster: %w", cfg.GatewayImage, err)
	}
	k, err := connectKube(kubeconfigFile, kindNamespace)
	if err != nil {
		return nil, teardown, err
	}
	ictx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	inst, err := install(ictx, k, cfg.GatewayImage)
	if err != nil {
		diag := filepath.Join(cfg.ArtifactsDir, "diagnostics", "install")
		_ = k.Diagnose(context.Background(), diag)
		return nil, teardown, fmt.Errorf("installing the gateway (pods, events and logs in %s): %w", diag, err)
	}
	d := &Description{
		Kind:           KindKind,
		Implementation: Implementation{Name: "keptn-gateway (reference implementation) on kind", Endpoint: kindHTTP, Target: KindKind},
		HTTP:           kindHTTP, HTTPS: kindHTTPS, ServerName: kindDomain, Domain: kindDomain,
		CAPEM:      inst.caPEM,
		Token:      inst.token,
		Session:    &Credentials{Username: kindSessionUser, Password: inst.password},
		TokenStore: &StoreSpec{Kubeconfig: kubeconfigFile, Namespace: kindNamespace, Secret: tokenSecret, Key: tokenSecret},
		CertStore:  &StoreSpec{Kubeconfig: kubeconfigFile, Namespace: kindNamespace, Secret: tlsSecret},
		Kubeconfig: kubeconfigFile,
		Restart:    &RestartSpec{Kubeconfig: kubeconfigFile, Namespace: kindNamespace},
		// The documented reset restarts api-service: the reference gateway does not declare hot
		// reload on Kubernetes, where a changed Secret reaches a running pod only after a while.
		HotReload: false,
	}
	if err := Ready(ictx, d); err != nil {
		return nil, teardown, err
	}
	timing(cfg.ArtifactsDir, "install", start)
	return d, teardown, nil
}

type installation struct {
	token, password, caPEM string
}

// install creates the Secrets the manifests expect (keeping those of a kept cluster), applies the
// manifests, and waits for every Deployment.
func install(ctx context.Context, k *kube, image string) (*installation, error) {
	manifest, err := renderManifest(image)
	if err != nil {
		return nil, err
	}
	// The namespace first: the Secrets live in it.
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kindNamespace}}
	if _, err := k.cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return nil, err
	}
	inst := &installation{}
	secrets := k.cs.CoreV1().Secrets(kindNamespace)
	// The API token: random, made at install (16 random bytes, base64, as the docs create it).
	if s, err := secrets.Get(ctx, tokenSecret, metav1.GetOptions{}); err == nil {
		inst.token = string(s.Data[tokenSecret])
	} else {
		inst.token = randomB64(16)
		if err := k.putSecret(ctx, tokenSecret, corev1.SecretTypeOpaque, map[string][]byte{tokenSecret: []byte(inst.token)}); err != nil {
			return nil, err
		}
	}
	// The certificate: self-signed for the domain, made at install.
	if s, err := secrets.Get(ctx, tlsSecret, metav1.GetOptions{}); err == nil {
		inst.caPEM = string(s.Data[corev1.TLSCertKey])
	} else {
		pair, err := pki.SelfSigned(kindDomain, 365*24*time.Hour)
		if err != nil {
			return nil, err
		}
		inst.caPEM = string(pair.CAPEM)
		if err := k.putSecret(ctx, tlsSecret, corev1.SecretTypeTLS, map[string][]byte{corev1.TLSCertKey: pair.CertPEM, corev1.TLSPrivateKeyKey: pair.KeyPEM}); err != nil {
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
	if err := k.apply(ctx, manifest); err != nil {
		return nil, err
	}
	return inst, k.waitForDeployments(ctx)
}

func renderManifest(image string) ([]byte, error) {
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
		"Image": image, "SessionTTL": kindSessionTTL,
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
