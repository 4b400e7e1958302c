package state

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

func serve(t *testing.T) (*Server, *httptest.Server) {
	t.Helper()
	s, err := OpenServer(t.TempDir(), "state.db", time.Second, slog.New(slog.DiscardHandler), store.NoSync)
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(s.Handler()) // a real listener on loopback
	t.Cleanup(func() { hs.Close(); s.Close() })
	return s, hs
}

func remote(t *testing.T, base string) *Remote {
	t.Helper()
	c, err := NewRemote(base, nil)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// The same contract from both implementations: get, put, add (first wins), take (once), delete.
func TestStoresKeepTheContract(t *testing.T) {
	_, hs := serve(t)
	db, err := store.OpenWith(t.TempDir(), "api.db", time.Second, []store.Option{store.NoSync}, LocalBuckets...)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for name, st := range map[string]Store{"remote": remote(t, hs.URL), "local": NewLocal(db)} {
		for _, bucket := range []string{Config, Websocket} {
			var v string
			if err := st.Get(ctx, bucket, "k", &v); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s %s: get of a missing key: %v", name, bucket, err)
			}
			if err := st.Put(ctx, bucket, "k", "one", time.Time{}); err != nil {
				t.Fatalf("%s %s: put: %v", name, bucket, err)
			}
			if err := st.Get(ctx, bucket, "k", &v); err != nil || v != "one" {
				t.Errorf("%s %s: get: %q, %v", name, bucket, v, err)
			}
			first := "first"
			if err := st.Add(ctx, bucket, "a", &first, time.Time{}); err != nil || first != "first" {
				t.Errorf("%s %s: add: %q, %v", name, bucket, first, err)
			}
			second := "second"
			if err := st.Add(ctx, bucket, "a", &second, time.Time{}); err != nil || second != "first" {
				t.Errorf("%s %s: a second add: %q, %v, want the first value", name, bucket, second, err)
			}
			if err := st.Take(ctx, bucket, "k", &v); err != nil || v != "one" {
				t.Errorf("%s %s: take: %q, %v", name, bucket, v, err)
			}
			if err := st.Take(ctx, bucket, "k", &v); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s %s: a second take: %v", name, bucket, err)
			}
			if err := st.Delete(ctx, bucket, "a"); err != nil {
				t.Errorf("%s %s: delete: %v", name, bucket, err)
			}
			if err := st.Delete(ctx, bucket, "a"); err != nil {
				t.Errorf("%s %s: delete of a missing key: %v", name, bucket, err)
			}
			if err := st.Get(ctx, bucket, "a", &v); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s %s: get after delete: %v", name, bucket, err)
			}
		}
	}
}

// Of many replicas taking one websocket token at once, one gets it; of many adding an id at
// once, all agree on one.
func TestTakeOnceAndAddFirstUnderConcurrency(t *testing.T) {
	_, hs := serve(t)
	c := remote(t, hs.URL)
	ctx := context.Background()
	if err := c.Put(ctx, Websocket, "tok", "grant", time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	took, ids := 0, map[string]bool{}
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var g string
			err := c.Take(ctx, Websocket, "tok", &g)
			id := strings.Repeat("x", i+1)
			aerr := c.Add(ctx, Config, "installation-id", &id, time.Time{})
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				took++
			} else if !errors.Is(err, ErrNotFound) {
				t.Error(err)
			}
			if aerr != nil {
				t.Error(aerr)
			}
			ids[id] = true
		}()
	}
	wg.Wait()
	if took != 1 || len(ids) != 1 {
		t.Errorf("%d takers got the token (want 1); %d ids agreed on (want 1)", took, len(ids))
	}
}

// An entry is gone after its expiry, for the reader and for the sweep.
func TestEntriesExpire(t *testing.T) {
	s, hs := serve(t)
	c := remote(t, hs.URL)
	ctx := context.Background()
	now := time.Now()
	s.now = func() time.Time { return now }
	if err := c.Put(ctx, Sessions, "s", map[string]string{"username": "ada"}, now.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := c.Get(ctx, Sessions, "s", &v); err != nil || v["username"] != "ada" {
		t.Fatalf("get before expiry: %v %v", v, err)
	}
	s.now = func() time.Time { return now.Add(time.Minute) }
	if err := c.Get(ctx, Sessions, "s", &v); !errors.Is(err, ErrNotFound) {
		t.Errorf("get after expiry: %v", err)
	}
	id := "late"
	if err := c.Add(ctx, Sessions, "s", &id, time.Time{}); err != nil || id != "late" {
		t.Errorf("add over an expired entry: %q %v", id, err)
	}
}

// Bounded input with clear errors in the JSON error model.
func TestStateRoutesRefuseBadInput(t *testing.T) {
	_, hs := serve(t)
	send := func(method, path, ct, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, hs.URL+path, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		var e httpx.Error
		if resp.StatusCode >= 400 && (json.Unmarshal(b, &e) != nil || e.Code != int64(resp.StatusCode) || e.Message == "") {
			t.Errorf("%s %s: %d is not in the JSON error model: %s", method, path, resp.StatusCode, b)
		}
		return resp.StatusCode, e.Message
	}
	const js = "application/json"
	big := `{"value":"` + strings.Repeat("a", MaxValueBytes) + `"}`
	for _, c := range []struct {
		method, path, ct, body string
		want                   int
		says                   string
	}{
		{"GET", Prefix + "nope/k", "", "", 404, "no state bucket"},
		{"GET", Prefix + "config/" + strings.Repeat("k", 201), "", "", 400, "state key"},
		{"GET", Prefix + "config/k%20k", "", "", 400, "state key"},
		{"GET", Prefix + "config/missing", "", "", 404, "no such state entry"},
		{"PUT", Prefix + "config/k", js, big, 413, "larger than"},
		{"PUT", Prefix + "config/k", js, `{"value":`, 400, "not valid JSON"},
		{"PUT", Prefix + "config/k", js, `{"expires":"2030-01-01T00:00:00Z"}`, 400, "with a value"},
		{"PUT", Prefix + "config/k", js, `{"value":1,"expires":"soon"}`, 400, ""},
		{"PUT", Prefix + "config/k", "text/plain", `{"value":1}`, 400, "must be JSON"},
		{"POST", Prefix + "config/k/add", js, ``, 400, "empty"},
		{"PATCH", Prefix + "config/k", js, `{"value":1}`, 405, ""},
		{"GET", "/v1/project", "", "", 404, ""},
	} {
		got, msg := send(c.method, c.path, c.ct, c.body)
		if got != c.want || !strings.Contains(msg, c.says) {
			t.Errorf("%s %s: %d %q, want %d saying %q", c.method, c.path, got, msg, c.want, c.says)
		}
	}
}

// A store that cannot be reached, or fails, is a 503 StatusError; a URL that is no store too.
func TestRemoteFailuresAre503(t *testing.T) {
	dead := httptest.NewServer(http.NotFoundHandler())
	deadURL := dead.URL
	dead.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, http.StatusInternalServerError, "disk full")
	}))
	defer failing.Close()
	notAStore := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.WriteError(w, http.StatusNotFound, "no such path: %s", r.URL.Path)
	}))
	defer notAStore.Close()
	for name, base := range map[string]string{"down": deadURL, "failing": failing.URL, "no store": notAStore.URL} {
		var v string
		err := remote(t, base).Get(context.Background(), Config, "bridge", &v)
		var se *httpx.StatusError
		if !errors.As(err, &se) || se.Status != http.StatusServiceUnavailable || !strings.Contains(se.Message, "state store") {
			t.Errorf("%s: %v, want a 503 about the state store", name, err)
		}
	}
	for _, bad := range []string{"", "cs:8081", "ftp://cs", "http://cs:8081/?q=1"} {
		if _, err := NewRemote(bad, nil); err == nil {
			t.Errorf("NewRemote(%q) accepted", bad)
		}
	}
	// A value larger than the store takes is refused before it is sent.
	_, hs := serve(t)
	if err := remote(t, hs.URL).Put(context.Background(), Config, "k", strings.Repeat("a", MaxValueBytes), time.Time{}); err == nil || !strings.Contains(err.Error(), "at most") {
		t.Errorf("an oversized value: %v", err)
	}
}

// Concurrent updates of one entry each count once, in both implementations; a conditional put
// that comes after another change is refused with 409.
func TestUpdatesDoNotLoseChanges(t *testing.T) {
	_, hs := serve(t)
	db, err := store.OpenWith(t.TempDir(), "api.db", time.Second, []store.Option{store.NoSync}, LocalBuckets...)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	for name, st := range map[string]Store{"remote": remote(t, hs.URL), "local": NewLocal(db)} {
		for _, bucket := range []string{Throttle, Config} {
			var wg sync.WaitGroup
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					err := st.Update(ctx, bucket, "n", func(cur []byte) (any, time.Time, error) {
						var n int
						if cur != nil {
							if err := json.Unmarshal(cur, &n); err != nil {
								return nil, time.Time{}, err
							}
						}
						return n + 1, time.Now().Add(time.Minute), nil
					})
					if err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			var n int
			if err := st.Get(ctx, bucket, "n", &n); err != nil || n != 8 {
				t.Errorf("%s %s: %d after 8 concurrent updates (%v), want 8", name, bucket, n, err)
			}
		}
	}
	// The conditional put itself.
	put := func(body string) int {
		req, _ := http.NewRequest("PUT", hs.URL+Prefix+"config/c", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i, c := range []struct {
		body string
		want int
	}{
		{`{"value":1,"rev":1}`, 409}, // there is none yet
		{`{"value":1,"rev":0}`, 204},
		{`{"value":2,"rev":0}`, 409},
		{`{"value":2,"rev":1}`, 204},
		{`{"value":3}`, 204}, // unconditional
		{`{"value":4,"rev":2}`, 409},
	} {
		if got := put(c.body); got != c.want {
			t.Errorf("put %d %s: %d, want %d", i+1, c.body, got, c.want)
		}
	}
}
