package target

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"time"
)

// RestartSpec says how the whole gateway is restarted: in this process (the embedded target),
// by a command on this machine, or by deleting its pods (a cluster).
type RestartSpec struct {
	Embedded bool `json:"embedded,omitempty"`
	// Command is run with sh -c and returns once the gateway has stopped (systemctl restart ...).
	Command string `json:"command,omitempty"`
	// Kubeconfig and Namespace reach the cluster whose gateway pods are deleted by label.
	Kubeconfig string `json:"kubeconfig,omitempty"`
	Namespace  string `json:"namespace,omitempty"`
}

// Restarter restarts the whole gateway as its operator would (its process, its pods) and
// returns once it serves the API again.
type Restarter interface {
	Restart(ctx context.Context) error
	String() string
}

// GatewayLabels select the gateway's pods: those of its four components, by either label of
// the documented procedures (0.7: app.kubernetes.io/name, 0.6: run).
var GatewayLabels = []string{
	"app.kubernetes.io/name in (api-gateway-nginx,api-service,configuration-service,mongodb-datastore)",
	"run in (api-gateway-nginx,api-service,configuration-service,mongodb-datastore)",
}

// RestartTimeout bounds a restart, the wait until the gateway serves again included.
const RestartTimeout = 3 * time.Minute

func openRestarter(s *RestartSpec, d Description) (Restarter, error) {
	switch {
	case s.Embedded:
		return embeddedRestart{d: d}, nil
	case s.Command != "":
		return commandRestart{s.Command, d}, nil
	case s.Kubeconfig != "":
		k, err := connectKube(s.Kubeconfig, s.Namespace)
		if err != nil {
			return nil, err
		}
		return kubeRestart{k, d}, nil
	}
	return nil, errors.New("a restart capability that says neither how nor where")
}

// commandRestart runs the operator's restart command, then awaits the gateway.
type commandRestart struct {
	command string
	d       Description
}

func (c commandRestart) String() string { return "the command " + c.command }

func (c commandRestart) Restart(ctx context.Context) error {
	out, err := exec.CommandContext(ctx, "sh", "-c", c.command).CombinedOutput()
	if err != nil {
		return fmt.Errorf("the restart command %q failed (%v): %s", c.command, err, strings.TrimSpace(string(out)))
	}
	return Ready(ctx, &c.d)
}

// kubeRestart deletes the gateway's pods by label and awaits their replacements, then the API.
type kubeRestart struct {
	k *kube
	d Description
}

func (r kubeRestart) String() string {
	return "deleting the gateway's pods in namespace " + r.k.namespace
}

func (r kubeRestart) Restart(ctx context.Context) error {
	if err := r.k.restartPods(ctx, GatewayLabels); err != nil {
		return err
	}
	return Ready(ctx, &r.d)
}
