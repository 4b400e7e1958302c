//go:build tools

// Package tools pins the command-line tools this module runs with `go run`,
// so that their versions come from go.mod like every other dependency.
package tools

import (
	_ "github.com/onsi/ginkgo/v2/ginkgo"
	_ "sigs.k8s.io/kind"
)
