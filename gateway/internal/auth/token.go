// Package auth holds the gateway's credentials: the API token (from a file that is watched, or
// from the environment), the users who may log in, and their sessions.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/watch"
	"github.com/keptn-conformance/keptn-conformance/internal/atomicfile"
)

// SecretKey is the data key of the Kubernetes Secret keptn-api-token; a token file path that is
// a directory (a mounted Secret) is read at this key.
const SecretKey = "keptn-api-token"

// Token length bounds; a token is printable ASCII without spaces.
const (
	minTokenLen = 8
	maxTokenLen = 512
)

// ValidateToken says why s cannot be an API token, or nil. An empty or malformed token must never
// become the gateway's token: that would open the API or lock everyone out.
func ValidateToken(s string) error {
	switch {
	case s == "":
		return errors.New("the token is empty")
	case len(s) < minTokenLen:
		return fmt.Errorf("the token is shorter than %d characters", minTokenLen)
	case len(s) > maxTokenLen:
		return fmt.Errorf("the token is longer than %d characters", maxTokenLen)
	}
	for _, c := range []byte(s) {
		if c < 0x21 || c > 0x7e {
			return errors.New("the token has a character that is not printable ASCII (or a space)")
		}
	}
	return nil
}

// NewToken makes a token the way the Keptn docs create one: 16 random bytes, base64.
func NewToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// Tokens is the current API token. Check is safe for concurrent use, and a reload swaps the
// token atomically, so no request sees a half-changed state.
type Tokens struct {
	digest atomic.Pointer[[sha256.Size]byte]
	path   string // "" when the token came from the environment
	origin string
	log    *slog.Logger
	// memory keeps the SHA-256 of the last valid token (never the token), so that a process
	// started on a broken token file keeps the token that worked.
	memory string
	// loaded is the token file's content when it was read, the watcher's baseline.
	loaded []byte
}

// TokenFromValue uses a fixed token (from an environment variable); it never changes.
func TokenFromValue(token, origin string, log *slog.Logger) (*Tokens, error) {
	token = strings.TrimSpace(token)
	if err := ValidateToken(token); err != nil {
		return nil, fmt.Errorf("API token from %s: %w", origin, err)
	}
	t := &Tokens{origin: origin, log: log}
	t.set(token)
	return t, nil
}

// TokenFromFile reads the token from path (a file, or a directory holding a mounted Secret),
// creating the file with a new random token when it does not exist. created says whether it did.
// The digest of every valid token is kept in memoryFile (when given): when path holds no valid
// token at start (an empty or malformed Secret), the last valid token stays in force, logged.
func TokenFromFile(path, memoryFile string, log *slog.Logger) (t *Tokens, created bool, err error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, SecretKey)
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := atomicfile.Write(path, []byte(NewToken()+"\n"), 0o600); err != nil {
			return nil, false, fmt.Errorf("creating the token file: %w", err)
		}
		created = true
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return nil, false, fmt.Errorf("reading the token file: %w", err)
	}
	t = &Tokens{path: path, origin: "file " + path, log: log, memory: memoryFile, loaded: b}
	token := strings.TrimSpace(string(b))
	if verr := ValidateToken(token); verr != nil {
		if d, ok := t.remembered(); ok {
			log.Error("the token file holds no valid token; keeping the last valid token until it does", "file", path, "reason", verr.Error())
			t.digest.Store(&d)
			return t, false, nil
		}
		return nil, false, fmt.Errorf("token file %s: %w", path, verr)
	}
	t.set(token)
	return t, created, nil
}

func (t *Tokens) set(token string) {
	d := sha256.Sum256([]byte(token))
	t.digest.Store(&d)
	if t.memory != "" {
		if err := atomicfile.Write(t.memory, []byte(hex.EncodeToString(d[:])+"\n"), 0o600); err != nil {
			t.log.Warn("cannot remember the token's digest", "file", t.memory, "err", err)
		}
	}
}

// remembered returns the digest of the last valid token, if one was kept.
func (t *Tokens) remembered() ([sha256.Size]byte, bool) {
	var d [sha256.Size]byte
	if t.memory == "" {
		return d, false
	}
	b, err := os.ReadFile(t.memory)
	if err != nil {
		return d, false
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) != sha256.Size {
		return d, false
	}
	copy(d[:], raw)
	return d, true
}

// Origin says where the token comes from, for the start-up message.
func (t *Tokens) Origin() string { return t.origin }

// Path is the token file ("" for a token from the environment).
func (t *Tokens) Path() string { return t.path }

// Check reports whether presented is the current token, in constant time (both sides are
// hashed first, so not even the length leaks).
func (t *Tokens) Check(presented string) bool {
	p := sha256.Sum256([]byte(presented))
	cur := t.digest.Load()
	return subtle.ConstantTimeCompare(p[:], cur[:]) == 1
}

// Fingerprint identifies the current token in logs without revealing it.
func (t *Tokens) Fingerprint() string {
	d := t.digest.Load()
	return hex.EncodeToString(d[:4])
}

// Watch reloads the token file whenever it changes, until ctx ends. A missing, empty or
// malformed file keeps the previous token (logged), so a botched rotation never opens the API.
func (t *Tokens) Watch(ctx context.Context, interval time.Duration) {
	if t.path == "" {
		return
	}
	watch.Files(ctx, interval, []string{t.path}, [][]byte{t.loaded}, func(contents [][]byte, err error) {
		if err != nil {
			t.log.Warn("the token file cannot be read; keeping the previous token", "file", t.path, "err", err)
			return
		}
		token := strings.TrimSpace(string(contents[0]))
		if verr := ValidateToken(token); verr != nil {
			t.log.Warn("the token file holds no valid token; keeping the previous token", "file", t.path, "reason", verr.Error())
			return
		}
		if t.Check(token) {
			return
		}
		t.set(token)
		t.log.Info("API token reloaded", "file", t.path, "fingerprint", t.Fingerprint())
	})
}
