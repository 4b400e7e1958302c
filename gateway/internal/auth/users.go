package auth

import (
	"context"
	"crypto/sha1"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"
	"sigs.k8s.io/yaml"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/watch"
)

// MinBcryptCost is the least bcrypt cost a users file may use.
const MinBcryptCost = bcrypt.DefaultCost

// User is a person who can log in with a session (Konnect style).
type User struct {
	Username     string `json:"username"`
	PasswordHash string `json:"password_hash"`
	Email        string `json:"email"`
	FirstName    string `json:"first_name"`
	LastName     string `json:"last_name"`
	ID           string `json:"id,omitempty"`
	OrgID        string `json:"org_id,omitempty"`
	OrgName      string `json:"org_name,omitempty"`
}

// usersFile is the users file's shape:
//
//	users:
//	  - username: alice
//	    password_hash: "$2a$10$..."   # keptn-gateway hash-password
//	    email: alice@example.com
//	    first_name: Alice
//	    last_name: Example
type usersFile struct {
	Users []User `json:"users"`
}

// Users is the set of users, reloaded when the users file changes.
type Users struct {
	byName atomic.Pointer[map[string]User]
	path   string
	log    *slog.Logger
	dummy  []byte // a hash to compare against for unknown users, so timing does not tell
	loaded []byte // the users file as read, the watcher's baseline
	// minCost is the least bcrypt cost the file may use, and the dummy hash's cost.
	minCost int
}

// NoUsers is an empty user set (no users file configured): every login fails.
func NoUsers(log *slog.Logger) *Users {
	u := &Users{log: log, dummy: dummyHash(MinBcryptCost), minCost: MinBcryptCost}
	m := map[string]User{}
	u.byName.Store(&m)
	return u
}

// LoadUsers reads a users file. Every entry needs a username and a bcrypt hash of cost at least
// MinBcryptCost; names must be unique.
func LoadUsers(path string, log *slog.Logger) (*Users, error) {
	return LoadUsersWithCost(path, log, MinBcryptCost)
}

// LoadUsersWithCost is LoadUsers with another least bcrypt cost (bcrypt.MinCost and up), which
// an unknown user's comparison costs too. Below MinBcryptCost it is for tests only: a login then
// costs a guesser next to nothing.
func LoadUsersWithCost(path string, log *slog.Logger, minCost int) (*Users, error) {
	if minCost < bcrypt.MinCost || minCost > bcrypt.MaxCost {
		return nil, fmt.Errorf("users file: a least bcrypt cost of %d is outside %d..%d", minCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("users file: %w", err)
	}
	m, err := parseUsers(b, minCost)
	if err != nil {
		return nil, fmt.Errorf("users file %s: %w", path, err)
	}
	u := &Users{path: path, log: log, dummy: dummyHash(minCost), loaded: b, minCost: minCost}
	u.byName.Store(&m)
	return u, nil
}

func parseUsers(b []byte, minCost int) (map[string]User, error) {
	var f usersFile
	if err := yaml.UnmarshalStrict(b, &f); err != nil {
		return nil, err
	}
	m := map[string]User{}
	for i, u := range f.Users {
		if u.Username == "" {
			return nil, fmt.Errorf("user %d has no username", i+1)
		}
		if _, dup := m[u.Username]; dup {
			return nil, fmt.Errorf("user %q appears twice", u.Username)
		}
		cost, err := bcrypt.Cost([]byte(u.PasswordHash))
		if err != nil {
			return nil, fmt.Errorf("user %q: password_hash is not a bcrypt hash (make one with `keptn-gateway hash-password`)", u.Username)
		}
		if cost < minCost {
			return nil, fmt.Errorf("user %q: bcrypt cost %d is below %d", u.Username, cost, minCost)
		}
		if u.ID == "" {
			u.ID = stableUUID("user:" + u.Username)
		}
		if u.OrgName == "" {
			u.OrgName = "Keptn"
		}
		if u.OrgID == "" {
			u.OrgID = stableUUID("org:" + u.OrgName)
		}
		m[u.Username] = u
	}
	return m, nil
}

// HashPassword makes the bcrypt hash a users file stores.
func HashPassword(password string) (string, error) { return HashPasswordCost(password, MinBcryptCost) }

// HashPasswordCost is HashPassword at another bcrypt cost (below MinBcryptCost: for tests only).
func HashPasswordCost(password string, cost int) (string, error) {
	if password == "" {
		return "", errors.New("the password is empty")
	}
	h, err := bcrypt.GenerateFromPassword([]byte(password), cost)
	return string(h), err
}

// Authenticate returns the user when username and password match. An unknown user costs the
// same bcrypt comparison as a wrong password.
func (u *Users) Authenticate(username, password string) (User, bool) {
	user, known := (*u.byName.Load())[username]
	hash := u.dummy
	if known {
		hash = []byte(user.PasswordHash)
	}
	ok := bcrypt.CompareHashAndPassword(hash, []byte(password)) == nil
	return user, ok && known
}

// Lookup returns a user by name.
func (u *Users) Lookup(username string) (User, bool) {
	user, ok := (*u.byName.Load())[username]
	return user, ok
}

// Watch reloads the users file when it changes; a broken file keeps the previous users.
func (u *Users) Watch(ctx context.Context, interval time.Duration) {
	if u.path == "" {
		return
	}
	watch.Files(ctx, interval, []string{u.path}, [][]byte{u.loaded}, func(contents [][]byte, err error) {
		if err != nil {
			u.log.Warn("the users file cannot be read; keeping the previous users", "file", u.path, "err", err)
			return
		}
		m, perr := parseUsers(contents[0], u.minCost)
		if perr != nil {
			u.log.Warn("the users file is invalid; keeping the previous users", "file", u.path, "err", perr)
			return
		}
		u.byName.Store(&m)
		u.log.Info("users reloaded", "file", u.path, "users", len(m))
	})
}

// dummyHash is the hash an unknown user's login is compared with, so that it takes as long as a
// known user's: made once per cost in a process (a hash is the most CPU a start or a reload of
// the users takes).
func dummyHash(cost int) []byte {
	if h, ok := dummies.Load(cost); ok {
		return h.([]byte)
	}
	h, _ := bcrypt.GenerateFromPassword([]byte("no user has this password"), cost)
	dummies.Store(cost, h)
	return h
}

var dummies sync.Map // bcrypt cost → dummyHash

// stableUUID derives a UUID-shaped identifier from a name (version 5 style, SHA-1).
func stableUUID(name string) string {
	s := sha1.Sum([]byte("keptn-gateway:" + name))
	s[6] = (s[6] & 0x0f) | 0x50
	s[8] = (s[8] & 0x3f) | 0x80
	return strings.ToLower(fmt.Sprintf("%x-%x-%x-%x-%x", s[0:4], s[4:6], s[6:8], s[8:10], s[10:16]))
}
