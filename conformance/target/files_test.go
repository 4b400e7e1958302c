package target

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The file store's PutCertFirst writes the certificate, then after the pause the key, and leaves
// the pair in place; its order says so.
func TestFileCertsPutCertFirst(t *testing.T) {
	dir := t.TempDir()
	store, err := openCertStore(&StoreSpec{File: filepath.Join(dir, "tls.crt"), KeyFile: filepath.Join(dir, "tls.key")})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Put([]byte("old cert"), []byte("old key")); err != nil {
		t.Fatal(err)
	}
	const pause = 50 * time.Millisecond
	start := time.Now()
	order, err := store.PutCertFirst([]byte("new cert"), []byte("new key"), pause)
	if err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took < pause {
		t.Errorf("PutCertFirst took %s, less than its pause %s", took, pause)
	}
	if !strings.Contains(order, "50ms before its key") {
		t.Errorf("order %q does not say the certificate came first", order)
	}
	c, k, err := store.Get()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c, []byte("new cert")) || !bytes.Equal(k, []byte("new key")) {
		t.Errorf("the store holds %q and %q", c, k)
	}
	cs, err := os.Stat(filepath.Join(dir, "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	ks, err := os.Stat(filepath.Join(dir, "tls.key"))
	if err != nil {
		t.Fatal(err)
	}
	if !cs.ModTime().Before(ks.ModTime()) {
		t.Errorf("the key (%s) was not written after the certificate (%s)", ks.ModTime(), cs.ModTime())
	}
}
