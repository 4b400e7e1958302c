//go:build ignore

// Command etcd is the etcd server for the offline kind node image: etcd's own
// main, nothing else. scripts/kind-node-image.sh builds it in a scratch module
// (go.etcd.io/etcd/server/v3 at the version the script pins) and tags the image
// with the etcd tag kubeadm expects.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
