package state

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// Prefix is where the state routes are served, on the state listener only.
const Prefix = "/internal/state/v1/"

// The state routes (internal; JSON bodies, the Keptn error model for errors):
//
//	GET    Prefix{bucket}/{key}        200 {"value": V, "rev": N}; 404
//	PUT    Prefix{bucket}/{key}        {"value": V, "expires": T?, "rev": N?} → 204; 409 when
//	                                   rev is given and the entry's is another (0: none)
//	DELETE Prefix{bucket}/{key}        204 (also when missing)
//	POST   Prefix{bucket}/{key}/add    {"value": V, "expires": T?} → 200 {"value": the value held}
//	POST   Prefix{bucket}/{key}/take   200 {"value": V}, removed; 404
//
// bucket is one of Buckets, key 1 to 200 of [A-Za-z0-9._-], a body at most MaxValueBytes, T an
// RFC 3339 instant after which the entry is gone.

// entry is a value as the server keeps it; Rev counts its changes (for a conditional put).
type entry struct {
	Value   json.RawMessage `json:"value"`
	Expires *time.Time      `json:"expires,omitempty"`
	Rev     *uint64         `json:"rev,omitempty"`
}

// revOf is an entry's revision (0: none).
func revOf(e *entry) uint64 {
	if e == nil || e.Rev == nil {
		return 0
	}
	return *e.Rev
}

// changedMessage is the 409 of a conditional put that came too late.
const changedMessage = "the state entry changed"

func (e entry) expired(now time.Time) bool { return e.Expires != nil && !now.Before(*e.Expires) }

// Server serves the state routes over a store of its own.
type Server struct {
	db   *store.DB
	log  *slog.Logger
	now  func() time.Time
	stop chan struct{}
	done chan struct{}
}

// SweepInterval is how often the server drops expired entries no one asked for again.
const SweepInterval = time.Minute

// OpenServer opens (creating) the state store file name in dir.
func OpenServer(dir, name string, lockTimeout time.Duration, log *slog.Logger, opts ...store.Option) (*Server, error) {
	db, err := store.OpenWith(dir, name, lockTimeout, opts, Buckets...)
	if err != nil {
		return nil, err
	}
	s := &Server{db: db, log: log, now: time.Now, stop: make(chan struct{}), done: make(chan struct{})}
	go s.sweep()
	return s, nil
}

// Close stops the sweeping and closes the store.
func (s *Server) Close() error {
	close(s.stop)
	<-s.done
	return s.db.Close()
}

func (s *Server) sweep() {
	defer close(s.done)
	t := time.NewTicker(SweepInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		now := s.now()
		err := s.db.Update(func(tx *store.Tx) error {
			type name struct{ bucket, key string }
			var gone []name
			for _, b := range Buckets {
				err := store.ForEach(tx, b, func(k, v []byte) error {
					var e entry
					if json.Unmarshal(v, &e) == nil && e.expired(now) {
						gone = append(gone, name{b, string(k)})
					}
					return nil
				})
				if err != nil {
					return err
				}
			}
			for _, g := range gone {
				if err := store.Delete(tx, g.bucket, g.key); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			s.log.Warn("state store: dropping expired entries failed", "err", err)
		}
	}
}

// Handler serves the state routes.
func (s *Server) Handler() http.Handler {
	rt := httpx.NewRouter()
	rt.HandleFunc("GET "+Prefix+"{bucket}/{key}", s.get)
	rt.HandleFunc("PUT "+Prefix+"{bucket}/{key}", s.put)
	rt.HandleFunc("DELETE "+Prefix+"{bucket}/{key}", s.delete)
	rt.HandleFunc("POST "+Prefix+"{bucket}/{key}/add", s.add)
	rt.HandleFunc("POST "+Prefix+"{bucket}/{key}/take", s.take)
	return rt
}

// names reads and checks the bucket and key of the path.
func names(w http.ResponseWriter, r *http.Request) (bucket, key string, ok bool) {
	bucket, key = r.PathValue("bucket"), r.PathValue("key")
	if err := checkName(bucket, key); err != nil {
		httpx.WriteErr(w, err)
		return "", "", false
	}
	return bucket, key, true
}

// body reads a request's {"value", "expires"}.
func body(w http.ResponseWriter, r *http.Request) (entry, bool) {
	r.Body = http.MaxBytesReader(w, r.Body, MaxValueBytes)
	var e entry
	if err := httpx.DecodeJSON(r, &e); err != nil {
		httpx.WriteErr(w, err) // 413 beyond MaxValueBytes, 400 for anything not the body below
		return e, false
	}
	if len(e.Value) == 0 || string(e.Value) == "null" {
		httpx.WriteError(w, http.StatusBadRequest, "the body must be {\"value\": ..., \"expires\": optional RFC 3339 instant} with a value")
		return e, false
	}
	return e, true
}

// failed answers a store failure: logged, a JSON 500 without detail.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("state store failure", "method", r.Method, "path", r.URL.Path, "err", err)
	httpx.WriteErr(w, err)
}

// load reads a live entry; ErrNotFound for a missing or expired one.
func (s *Server) load(tx *store.Tx, bucket, key string) (entry, error) {
	var e entry
	if err := store.Get(tx, bucket, key, &e); err != nil {
		return e, err
	}
	if e.expired(s.now()) {
		return e, ErrNotFound
	}
	return e, nil
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, e entry, err error) {
	switch {
	case errors.Is(err, ErrNotFound):
		httpx.WriteError(w, http.StatusNotFound, notFoundMessage)
	case err != nil:
		s.failed(w, r, err)
	default:
		rev := revOf(&e)
		httpx.WriteJSON(w, http.StatusOK, entry{Value: e.Value, Rev: &rev})
	}
}

func (s *Server) get(w http.ResponseWriter, r *http.Request) {
	bucket, key, ok := names(w, r)
	if !ok {
		return
	}
	var e entry
	err := s.db.View(func(tx *store.Tx) (err error) { e, err = s.load(tx, bucket, key); return err })
	s.answer(w, r, e, err)
}

func (s *Server) put(w http.ResponseWriter, r *http.Request) {
	bucket, key, ok := names(w, r)
	if !ok {
		return
	}
	e, ok := body(w, r)
	if !ok {
		return
	}
	errChanged := errors.New(changedMessage)
	err := s.db.Update(func(tx *store.Tx) error {
		var cur *entry
		if held, err := s.load(tx, bucket, key); err == nil {
			cur = &held
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		if e.Rev != nil && *e.Rev != revOf(cur) {
			return errChanged
		}
		next := revOf(cur) + 1
		e.Rev = &next
		return store.Put(tx, bucket, key, e)
	})
	switch {
	case errors.Is(err, errChanged):
		httpx.WriteError(w, http.StatusConflict, changedMessage)
	case err != nil:
		s.failed(w, r, err)
	default:
		w.WriteHeader(http.StatusNoContent)
	}
}

func (s *Server) delete(w http.ResponseWriter, r *http.Request) {
	bucket, key, ok := names(w, r)
	if !ok {
		return
	}
	if err := s.db.Update(func(tx *store.Tx) error { return store.Delete(tx, bucket, key) }); err != nil {
		s.failed(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) add(w http.ResponseWriter, r *http.Request) {
	bucket, key, ok := names(w, r)
	if !ok {
		return
	}
	e, ok := body(w, r)
	if !ok {
		return
	}
	var held entry
	err := s.db.Update(func(tx *store.Tx) error {
		var err error
		if held, err = s.load(tx, bucket, key); !errors.Is(err, ErrNotFound) {
			return err
		}
		held = e
		one := uint64(1)
		e.Rev = &one
		return store.Put(tx, bucket, key, e)
	})
	s.answer(w, r, held, err)
}

func (s *Server) take(w http.ResponseWriter, r *http.Request) {
	bucket, key, ok := names(w, r)
	if !ok {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, MaxValueBytes))
	var e entry
	err := s.db.Update(func(tx *store.Tx) error {
		var err error
		e, err = s.load(tx, bucket, key)
		if err != nil {
			return err
		}
		return store.Delete(tx, bucket, key)
	})
	s.answer(w, r, e, err)
}
