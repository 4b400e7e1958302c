// Package watch notices changes of small files by polling their content. Polling (rather than
// inotify) sees every way a file is replaced, including the symlink swap Kubernetes does for
// mounted Secrets, and costs a few reads a second.
package watch

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"time"
)

// DefaultInterval is how often files are read when no interval is given.
const DefaultInterval = 200 * time.Millisecond

// Files calls onChange with the contents of all paths whenever they differ from what was seen
// last (or a read error appears or goes away), until ctx ends. loaded is what the caller loaded
// from the paths, so a change made before watching began is not missed. A missing file is passed
// as nil content with an fs.ErrNotExist error.
func Files(ctx context.Context, interval time.Duration, paths []string, loaded [][]byte, onChange func(contents [][]byte, err error)) {
	if interval <= 0 {
		interval = DefaultInterval
	}
	last, lastErr := loaded, error(nil)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur, err := read(paths)
		if same(cur, last) && errString(err) == errString(lastErr) {
			continue
		}
		last, lastErr = cur, err
		onChange(cur, err)
	}
}

func read(paths []string) ([][]byte, error) {
	out := make([][]byte, len(paths))
	var first error
	for i, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil && first == nil {
			first = err
		}
		out[i] = b
	}
	return out, first
}

func same(a, b [][]byte) bool {
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "not exist"
	}
	return err.Error()
}
