package conformance

import "testing"

func TestConformance(t *testing.T) {
	Run(t)
}
