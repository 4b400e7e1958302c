// Package atomicfile writes files so that a reader never sees one half written: through a
// temporary file in the same directory and a rename. The gateway keeps its token file this way,
// and the suite writes the files a gateway watches (a token, a certificate) the same way.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes data to path with perm, atomically; it makes path's directory when missing.
func Write(path string, data []byte, perm os.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-"+filepath.Base(path))
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(perm); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
