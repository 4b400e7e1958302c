//go:build ignore

// Command coredns is CoreDNS for the offline kind node image, with only the
// plugins kubeadm's Corefile uses (plus a few handy ones for debugging).
// scripts/kind-node-image.sh builds it in a scratch module at the CoreDNS
// version it pins and tags the image with the CoreDNS tag kubeadm expects.
package main

import (
	"github.com/coredns/coredns/coremain"

	// The Corefile kubeadm writes: errors, health, ready, kubernetes,
	// prometheus (package metrics), forward, cache, loop, reload, loadbalance.
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/forward"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/loop"
	_ "github.com/coredns/coredns/plugin/metrics"
	_ "github.com/coredns/coredns/plugin/ready"
	_ "github.com/coredns/coredns/plugin/reload"

	// Common additions to a cluster's Corefile.
	_ "github.com/coredns/coredns/plugin/hosts"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/rewrite"
	_ "github.com/coredns/coredns/plugin/template"
	_ "github.com/coredns/coredns/plugin/whoami"
)

func main() {
	coremain.Run()
}
