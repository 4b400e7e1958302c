package target

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"k8s.io/client-go/tools/clientcmd"
)

// APIServiceLabels select api-service's pods: the documented reset procedures name both (0.6:
// run=api-service, 0.7: app.kubernetes.io/name=api-service).
var APIServiceLabels = []string{"app.kubernetes.io/name=api-service", "run=api-service"}

// kube is a connection to a cluster.
type kube struct {
	cs        kubernetes.Interface
	dyn       dynamic.Interface
	namespace string
}

// InCluster as the kubeconfig (--kubeconfig=in-cluster) is the service account of the pod the
// suite runs in (rest.InClusterConfig): the in-cluster run's Job.
const InCluster = "in-cluster"

func connectKube(kubeconfig, namespace string) (*kube, error) {
	var cfg *rest.Config
	var err error
	if kubeconfig == InCluster {
		if cfg, err = rest.InClusterConfig(); err != nil {
			return nil, fmt.Errorf("--kubeconfig=%s: %w", InCluster, err)
		}
	} else if cfg, err = clientcmd.BuildConfigFromFlags("", kubeconfig); err != nil {
		return nil, fmt.Errorf("kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return nil, err
	}
	if namespace == "" {
		namespace = "keptn"
	}
	return &kube{cs: cs, dyn: dyn, namespace: namespace}, nil
}

func timeout() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 3*time.Minute)
}

// kubeTokens is the documented token procedure on the Secret keptn-api-token.
type kubeTokens struct {
	k              *kube
	secret, key    string
	selectors      []string
	hotReload      bool
	restartTimeout time.Duration
}

func openKubeTokens(s *StoreSpec, hotReload bool) (TokenStore, error) {
	k, err := connectKube(s.Kubeconfig, s.Namespace)
	if err != nil {
		return nil, err
	}
	selectors := s.Selectors
	if len(selectors) == 0 {
		selectors = APIServiceLabels
	}
	return &kubeTokens{k: k, secret: s.Secret, key: s.Key, selectors: selectors, hotReload: hotReload, restartTimeout: 3 * time.Minute}, nil
}

func (t *kubeTokens) String() string {
	return fmt.Sprintf("Secret %s/%s (key %s)", t.k.namespace, t.secret, t.key)
}

// Retrieve reads the Secret and decodes the token (the API hands data out decoded).
func (t *kubeTokens) Retrieve() (string, error) {
	ctx, cancel := timeout()
	defer cancel()
	s, err := t.k.cs.CoreV1().Secrets(t.k.namespace).Get(ctx, t.secret, metav1.GetOptions{})
	if err != nil {
		return "", err
	}
	v, ok := s.Data[t.key]
	if !ok {
		return "", fmt.Errorf("the Secret has no key %s", t.key)
	}
	return string(v), nil
}

func (t *kubeTokens) Delete() error {
	ctx, cancel := timeout()
	defer cancel()
	err := t.k.cs.CoreV1().Secrets(t.k.namespace).Delete(ctx, t.secret, metav1.DeleteOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// Create makes the Secret with the token as its literal value.
func (t *kubeTokens) Create(token string) error {
	ctx, cancel := timeout()
	defer cancel()
	_, err := t.k.cs.CoreV1().Secrets(t.k.namespace).Create(ctx, &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: t.secret, Namespace: t.k.namespace},
		Type:       corev1.SecretTypeOpaque,
		Data:       map[string][]byte{t.key: []byte(token)},
	}, metav1.CreateOptions{})
	return err
}

// Restart deletes api-service's pods by label (the selectors), as documented, and waits until their replacements
// are ready (unless the gateway reloads the token by itself).
func (t *kubeTokens) Restart() error {
	if t.hotReload {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), t.restartTimeout)
	defer cancel()
	return t.k.restartPods(ctx, t.selectors)
}

// restartPods deletes the pods of the first selector that has any, and waits until as many pods
// of that selector, none of the deleted ones, are ready.
func (k *kube) restartPods(ctx context.Context, selectors []string) error {
	pods := k.cs.CoreV1().Pods(k.namespace)
	for _, sel := range selectors {
		list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			return err
		}
		if len(list.Items) == 0 {
			continue
		}
		old := map[types.UID]bool{}
		for _, p := range list.Items {
			old[p.UID] = true
		}
		if err := pods.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: sel}); err != nil {
			return err
		}
		for {
			list, err := pods.List(ctx, metav1.ListOptions{LabelSelector: sel})
			if err == nil && allNewAndReady(list.Items, old, len(old)) {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("the pods %s were not back and ready in time", sel)
			case <-time.After(250 * time.Millisecond):
			}
		}
	}
	return fmt.Errorf("no pods with any of the labels %s in namespace %s", strings.Join(selectors, ", "), k.namespace)
}

func allNewAndReady(pods []corev1.Pod, old map[types.UID]bool, want int) bool {
	ready := 0
	for _, p := range pods {
		if old[p.UID] {
			return false // a deleted pod is still there (terminating)
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue {
				ready++
			}
		}
	}
	return ready >= want
}

// kubeCerts is the gateway's TLS Secret (tls.crt, tls.key), which its pods mount.
type kubeCerts struct {
	k      *kube
	secret string
}

func openKubeCerts(s *StoreSpec) (CertStore, error) {
	k, err := connectKube(s.Kubeconfig, s.Namespace)
	if err != nil {
		return nil, err
	}
	return &kubeCerts{k: k, secret: s.Secret}, nil
}

func (c *kubeCerts) String() string { return fmt.Sprintf("TLS Secret %s/%s", c.k.namespace, c.secret) }

func (c *kubeCerts) Get() ([]byte, []byte, error) {
	ctx, cancel := timeout()
	defer cancel()
	s, err := c.k.cs.CoreV1().Secrets(c.k.namespace).Get(ctx, c.secret, metav1.GetOptions{})
	if err != nil {
		return nil, nil, err
	}
	return s.Data[corev1.TLSCertKey], s.Data[corev1.TLSPrivateKeyKey], nil
}

// Put updates the Secret; the gateway must serve the new certificate once its pods see it.
func (c *kubeCerts) Put(certPEM, keyPEM []byte) error {
	ctx, cancel := timeout()
	defer cancel()
	return c.k.putSecret(ctx, c.secret, corev1.SecretTypeTLS, map[string][]byte{corev1.TLSCertKey: certPEM, corev1.TLSPrivateKeyKey: keyPEM})
}

// PutCertFirst updates the Secret as Put does: its pods see the certificate and key change at once.
func (c *kubeCerts) PutCertFirst(certPEM, keyPEM []byte, _ time.Duration) (string, error) {
	return "written with its key in one Secret update", c.Put(certPEM, keyPEM)
}

// putSecret creates or replaces a Secret's data.
func (k *kube) putSecret(ctx context.Context, name string, typ corev1.SecretType, data map[string][]byte) error {
	secrets := k.cs.CoreV1().Secrets(k.namespace)
	s, err := secrets.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		_, err = secrets.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: k.namespace}, Type: typ, Data: data}, metav1.CreateOptions{})
		return err
	}
	if err != nil {
		return err
	}
	s.Data = data
	_, err = secrets.Update(ctx, s, metav1.UpdateOptions{})
	return err
}

// apply applies a multi-document YAML manifest with server-side apply.
func (k *kube) apply(ctx context.Context, manifest []byte) error {
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(k.cs.Discovery()))
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(manifest), 4096)
	for {
		var obj unstructured.Unstructured
		if err := dec.Decode(&obj.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return fmt.Errorf("manifest: %w", err)
		}
		if len(obj.Object) == 0 {
			continue
		}
		gvk := obj.GroupVersionKind()
		mapping, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return fmt.Errorf("manifest %s %s: %w", gvk.Kind, obj.GetName(), err)
		}
		var ri dynamic.ResourceInterface = k.dyn.Resource(mapping.Resource)
		if mapping.Scope.Name() == meta.RESTScopeNameNamespace {
			ri = k.dyn.Resource(mapping.Resource).Namespace(obj.GetNamespace())
		}
		if _, err := ri.Apply(ctx, obj.GetName(), &obj, metav1.ApplyOptions{FieldManager: "keptn-conformance", Force: true}); err != nil {
			return fmt.Errorf("applying %s %s: %w", gvk.Kind, obj.GetName(), err)
		}
	}
}

// waitForDeployments waits until every Deployment of the namespace has rolled out and is available.
func (k *kube) waitForDeployments(ctx context.Context) error {
	for {
		list, err := k.cs.AppsV1().Deployments(k.namespace).List(ctx, metav1.ListOptions{})
		var pending []string
		if err == nil {
			for _, d := range list.Items {
				if !rolledOut(d) {
					pending = append(pending, d.Name)
				}
			}
			if len(pending) == 0 && len(list.Items) > 0 {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("deployments not available in time: %s (%v)", strings.Join(pending, ", "), err)
		case <-time.After(500 * time.Millisecond):
		}
	}
}

func rolledOut(d appsv1.Deployment) bool {
	want := int32(1)
	if d.Spec.Replicas != nil {
		want = *d.Spec.Replicas
	}
	s := d.Status
	return s.ObservedGeneration >= d.Generation && s.UpdatedReplicas == want && s.AvailableReplicas == want && s.Replicas == want
}

// Diagnose writes the namespace's pods, events and container logs into dir.
func (k *kube) Diagnose(ctx context.Context, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	pods, err := k.cs.CoreV1().Pods(k.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	for _, p := range pods.Items {
		fmt.Fprintf(&b, "%s\tphase=%s\tnode=%s\n", p.Name, p.Status.Phase, p.Spec.NodeName)
		for _, c := range p.Status.ContainerStatuses {
			fmt.Fprintf(&b, "  container %s ready=%v restarts=%d state=%+v last=%+v\n", c.Name, c.Ready, c.RestartCount, c.State, c.LastTerminationState)
		}
		for _, c := range p.Status.Conditions {
			fmt.Fprintf(&b, "  condition %s=%s %s\n", c.Type, c.Status, c.Message)
		}
		for _, c := range p.Spec.Containers {
			for _, previous := range []bool{false, true} {
				raw, err := k.cs.CoreV1().Pods(k.namespace).GetLogs(p.Name, &corev1.PodLogOptions{Container: c.Name, Previous: previous, TailLines: ptr(int64(500))}).DoRaw(ctx)
				if err != nil {
					continue
				}
				name := p.Name + "_" + c.Name + ".log"
				if previous {
					name = p.Name + "_" + c.Name + ".previous.log"
				}
				_ = os.WriteFile(filepath.Join(dir, name), raw, 0o644)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "pods.txt"), []byte(b.String()), 0o644); err != nil {
		return err
	}
	events, err := k.cs.CoreV1().Events(k.namespace).List(ctx, metav1.ListOptions{})
	if err != nil {
		return err
	}
	sort.Slice(events.Items, func(i, j int) bool { return events.Items[i].LastTimestamp.Before(&events.Items[j].LastTimestamp) })
	var e strings.Builder
	for _, ev := range events.Items {
		fmt.Fprintf(&e, "%s\t%s\t%s/%s\t%s\t%s\n", ev.LastTimestamp.Format(time.RFC3339), ev.Type, ev.InvolvedObject.Kind, ev.InvolvedObject.Name, ev.Reason, ev.Message)
	}
	return os.WriteFile(filepath.Join(dir, "events.txt"), []byte(e.String()), 0o644)
}

func ptr[T any](v T) *T { return &v }
