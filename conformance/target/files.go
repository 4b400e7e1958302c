package target

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/internal/atomicfile"
)

// fileTokens is the token procedure on a file a gateway watches (the shape of a mounted
// Secret: the file holds the token itself).
type fileTokens struct{ path string }

func openTokenStore(s *StoreSpec, hotReload bool) (TokenStore, error) {
	switch {
	case s.File != "":
		return fileTokens{path: s.File}, nil
	case s.Kubeconfig != "":
		return openKubeTokens(s, hotReload)
	}
	return nil, errors.New("a token store needs a file or a kubeconfig")
}

func (f fileTokens) Retrieve() (string, error) {
	b, err := os.ReadFile(f.path)
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func (f fileTokens) Delete() error {
	if err := os.Remove(f.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

func (f fileTokens) Create(token string) error { return atomicfile.Write(f.path, []byte(token), 0o600) }

func (f fileTokens) Restart() error { return nil } // a file-watching gateway reloads by itself

func (f fileTokens) String() string { return "token file " + f.path }

// fileCerts is a certificate and key a gateway watches.
type fileCerts struct{ cert, key string }

func openCertStore(s *StoreSpec) (CertStore, error) {
	switch {
	case s.File != "" && s.KeyFile != "":
		return fileCerts{cert: s.File, key: s.KeyFile}, nil
	case s.Kubeconfig != "":
		return openKubeCerts(s)
	}
	return nil, errors.New("a certificate store needs a certificate and a key file, or a kubeconfig")
}

func (f fileCerts) Get() ([]byte, []byte, error) {
	c, err := os.ReadFile(f.cert)
	if err != nil {
		return nil, nil, err
	}
	k, err := os.ReadFile(f.key)
	return c, k, err
}

// Put writes the key first, then the certificate, each atomically.
func (f fileCerts) Put(certPEM, keyPEM []byte) error {
	if err := atomicfile.Write(f.key, keyPEM, 0o600); err != nil {
		return err
	}
	return atomicfile.Write(f.cert, certPEM, 0o644)
}

// PutCertFirst writes the certificate, waits pause, then writes the key, each atomically.
func (f fileCerts) PutCertFirst(certPEM, keyPEM []byte, pause time.Duration) (string, error) {
	order := fmt.Sprintf("written %s before its key", pause)
	if err := atomicfile.Write(f.cert, certPEM, 0o644); err != nil {
		return order, err
	}
	time.Sleep(pause) // the gap between two writes an operator makes by hand: nothing to await
	return order, atomicfile.Write(f.key, keyPEM, 0o600)
}

func (f fileCerts) String() string { return fmt.Sprintf("certificate files %s and %s", f.cert, f.key) }
