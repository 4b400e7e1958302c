package target

import "errors"

// The Kubernetes-backed capabilities arrive with the kind target.
func openKubeTokens(*StoreSpec, bool) (TokenStore, error) {
	return nil, errors.New("token rotation through Kubernetes is not available yet")
}

func openKubeCerts(*StoreSpec) (CertStore, error) {
	return nil, errors.New("certificate installation through Kubernetes is not available yet")
}
