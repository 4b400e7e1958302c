package conformance

import (
	"testing"

	"github.com/onsi/ginkgo/v2"
)

// TestConformance runs the suite under `go test`. The ginkgo CLI tells a Ginkgo suite from plain
// tests by the ginkgo import of its _test files, hence the conversion through ginkgo's type.
func TestConformance(t *testing.T) {
	Run(ginkgo.GinkgoTestingT(t))
}
