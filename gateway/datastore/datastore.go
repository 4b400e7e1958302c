// Package datastore is the mongodb-datastore role of the reference gateway: it stores every
// Keptn event and answers queries over them, newest first, with filters and paging.
package datastore

import (
	"encoding/binary"
	"encoding/json"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/keptnevent"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

const (
	bucketEvents   = "events"   // sequence → event JSON
	bucketIDs      = "ids"      // event id → sequence
	bucketContexts = "contexts" // keptn context → sequence of its first (root) event

	defaultPageSize = 20
	maxPageSize     = 100
)

// Service is the datastore role.
type Service struct {
	db  *store.DB
	log *slog.Logger
	now func() time.Time
}

// Open opens (creating) the role's store in dataDir.
func Open(dataDir string, log *slog.Logger, lockTimeout time.Duration) (*Service, error) {
	db, err := store.Open(dataDir, "mongodb-datastore.db", lockTimeout, bucketEvents, bucketIDs, bucketContexts)
	if err != nil {
		return nil, err
	}
	return &Service{db: db, log: log, now: time.Now}, nil
}

// Close closes the store.
func (s *Service) Close() error { return s.db.Close() }

// Handler serves the role's API at the upstream paths (`/event`, `/event/type/{eventType}`);
// the gateway in front strips `/api/mongodb-datastore` and authenticates.
func (s *Service) Handler() http.Handler {
	r := httpx.NewRouter()
	r.HandleFunc("POST /event", s.saveEvent)
	r.HandleFunc("GET /event", s.getEvents)
	r.HandleFunc("GET /event/type/{eventType}", s.getEventsByType)
	return r
}

func (s *Service) saveEvent(w http.ResponseWriter, r *http.Request) {
	ev, err := keptnevent.Decode(r)
	if err != nil {
		httpx.WriteErr(w, err)
		return
	}
	ev.Complete(s.now())
	if ev.Str("type") == eventProjectDelete {
		// As upstream: a deleted project's history goes with it, the deletion included.
		if err := s.dropProject(ev.DataStr("project")); err != nil {
			s.log.Error("dropping a project's events failed", "err", err)
			httpx.WriteErr(w, err)
			return
		}
		w.WriteHeader(http.StatusCreated)
		return
	}
	id := ev.Str("id")
	err = s.db.Update(func(tx *store.Tx) error {
		if store.Exists(tx, bucketIDs, id) {
			return nil // the same event again: stored once
		}
		seq, err := store.Append(tx, bucketEvents, ev)
		if err != nil {
			return err
		}
		if err := tx.Bucket([]byte(bucketIDs)).Put([]byte(id), store.SeqKey(seq)); err != nil {
			return err
		}
		ctx := ev.Str("shkeptncontext")
		if !store.Exists(tx, bucketContexts, ctx) {
			return tx.Bucket([]byte(bucketContexts)).Put([]byte(ctx), store.SeqKey(seq))
		}
		return nil
	})
	if err != nil {
		s.log.Error("storing an event failed", "err", err)
		httpx.WriteErr(w, err)
		return
	}
	w.WriteHeader(http.StatusCreated)
}

// eventProjectDelete is the event api-service records when a project is deleted.
const eventProjectDelete = "sh.keptn.internal.event.project.delete"

// dropProject deletes every event of a project, and their index entries.
func (s *Service) dropProject(project string) error {
	if project == "" {
		return nil
	}
	return s.db.Update(func(tx *store.Tx) error {
		events := tx.Bucket([]byte(bucketEvents))
		var drop [][]byte
		err := events.ForEach(func(k, v []byte) error {
			ev, err := decode(v)
			if err != nil {
				return err
			}
			if ev.DataStr("project") != project {
				return nil
			}
			drop = append(drop, append([]byte(nil), k...))
			if err := store.Delete(tx, bucketIDs, ev.Str("id")); err != nil {
				return err
			}
			first := tx.Bucket([]byte(bucketContexts)).Get([]byte(ev.Str("shkeptncontext")))
			if first != nil && string(first) == string(k) {
				return store.Delete(tx, bucketContexts, ev.Str("shkeptncontext"))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := events.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}

// stored is an event with its insertion order, for sorting.
type stored struct {
	seq  uint64
	time time.Time
	ev   keptnevent.Event
}

// scan returns the events that keep passes, newest first (by time, then by insertion).
func (s *Service) scan(keep func(seq uint64, ev keptnevent.Event, tx *store.Tx) bool) ([]stored, error) {
	var out []stored
	err := s.db.View(func(tx *store.Tx) error {
		return store.ForEach(tx, bucketEvents, func(k, v []byte) error {
			ev, err := decode(v)
			if err != nil {
				return err
			}
			seq := binary.BigEndian.Uint64(k)
			if keep(seq, ev, tx) {
				out = append(out, stored{seq: seq, time: ev.Time(), ev: ev})
			}
			return nil
		})
	})
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].time.Equal(out[j].time) {
			return out[i].time.After(out[j].time)
		}
		return out[i].seq > out[j].seq
	})
	return out, err
}

func decode(v []byte) (keptnevent.Event, error) {
	var ev keptnevent.Event
	dec := json.NewDecoder(strings.NewReader(string(v)))
	dec.UseNumber()
	return ev, dec.Decode(&ev)
}

// eventsPage is the answer of GET /event.
type eventsPage struct {
	NextPageKey string             `json:"nextPageKey"`
	TotalCount  int                `json:"totalCount"`
	PageSize    int                `json:"pageSize"`
	Events      []keptnevent.Event `json:"events"`
}

func (s *Service) getEvents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pageSize, err := intParam(q.Get("pageSize"), "pageSize", defaultPageSize, 1, maxPageSize)
	if err != nil {
		httpx.WriteErr(w, err)
		return
	}
	offset, err := intParam(q.Get("nextPageKey"), "nextPageKey", 0, 0, int(^uint(0)>>1))
	if err != nil {
		httpx.WriteErr(w, err)
		return
	}
	from, err := timeParam(q.Get("fromTime"))
	if err != nil {
		httpx.WriteErr(w, err)
		return
	}
	root := q.Get("root") == "true"
	match := map[string]string{}
	for param, field := range map[string]string{
		"keptnContext": "shkeptncontext", "type": "type", "source": "source", "eventID": "id",
		"project": "data.project", "stage": "data.stage", "service": "data.service",
	} {
		if v := q.Get(param); v != "" {
			match[field] = v
		}
	}
	events, err := s.scan(func(seq uint64, ev keptnevent.Event, tx *store.Tx) bool {
		for field, want := range match {
			if got, _ := ev.Lookup(field); got != want {
				return false
			}
		}
		if !from.IsZero() && !ev.Time().After(from) {
			return false
		}
		if root {
			first := tx.Bucket([]byte(bucketContexts)).Get([]byte(ev.Str("shkeptncontext")))
			if first == nil || binary.BigEndian.Uint64(first) != seq {
				return false
			}
		}
		return true
	})
	if err != nil {
		s.log.Error("querying events failed", "err", err)
		httpx.WriteErr(w, err)
		return
	}
	page := eventsPage{TotalCount: len(events), PageSize: pageSize, NextPageKey: "0", Events: []keptnevent.Event{}}
	if offset < len(events) {
		end := min(offset+pageSize, len(events))
		for _, e := range events[offset:end] {
			page.Events = append(page.Events, e.ev)
		}
		if end < len(events) {
			page.NextPageKey = strconv.Itoa(end)
		}
	}
	httpx.WriteJSON(w, http.StatusOK, page)
}

// eventsByType is the answer of GET /event/type/{eventType}.
type eventsByType struct {
	Events []keptnevent.Event `json:"events"`
}

func (s *Service) getEventsByType(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	eventType := r.PathValue("eventType")
	limit, err := intParam(q.Get("limit"), "limit", defaultPageSize, 1, maxPageSize)
	if err != nil {
		httpx.WriteErr(w, err)
		return
	}
	from, err := timeParam(q.Get("fromTime"))
	if err != nil {
		httpx.WriteErr(w, err)
		return
	}
	excludeInvalidated := false
	if v := q.Get("excludeInvalidated"); v != "" {
		if excludeInvalidated, err = strconv.ParseBool(v); err != nil {
			httpx.WriteError(w, http.StatusBadRequest, "excludeInvalidated must be true or false, got %q", v)
			return
		}
	}
	conds, err := parseFilter(q.Get("filter"))
	if err != nil {
		httpx.WriteErr(w, err)
		return
	}
	invalidated := map[string]bool{}
	if excludeInvalidated {
		inv, err := s.scan(func(_ uint64, ev keptnevent.Event, _ *store.Tx) bool {
			return strings.HasSuffix(ev.Str("type"), "evaluation.invalidated")
		})
		if err != nil {
			httpx.WriteErr(w, err)
			return
		}
		for _, e := range inv {
			invalidated[e.ev.Str("triggeredid")] = true
		}
	}
	events, err := s.scan(func(_ uint64, ev keptnevent.Event, _ *store.Tx) bool {
		if ev.Str("type") != eventType || invalidated[ev.Str("id")] {
			return false
		}
		if !from.IsZero() && !ev.Time().After(from) {
			return false
		}
		for _, c := range conds {
			got, _ := ev.Lookup(c.field)
			if !c.values[got] {
				return false
			}
		}
		return true
	})
	if err != nil {
		s.log.Error("querying events failed", "err", err)
		httpx.WriteErr(w, err)
		return
	}
	out := eventsByType{Events: []keptnevent.Event{}}
	for i := 0; i < len(events) && i < limit; i++ {
		out.Events = append(out.Events, events[i].ev)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
}

type condition struct {
	field  string
	values map[string]bool
}

// parseFilter reads `field:value AND field:v1,v2`.
func parseFilter(f string) ([]condition, error) {
	if strings.TrimSpace(f) == "" {
		return nil, nil
	}
	var out []condition
	for _, part := range strings.Split(f, " AND ") {
		field, value, ok := strings.Cut(strings.TrimSpace(part), ":")
		if !ok || field == "" || value == "" {
			return nil, httpx.Errorf(http.StatusBadRequest, "filter %q: each condition must be field:value", f)
		}
		c := condition{field: field, values: map[string]bool{}}
		for _, v := range strings.Split(value, ",") {
			c.values[v] = true
		}
		out = append(out, c)
	}
	return out, nil
}

func intParam(v, name string, def, lo, hi int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, httpx.Errorf(http.StatusBadRequest, "%s must be an integer from %d to %d, got %q", name, lo, hi, v)
	}
	return n, nil
}

func timeParam(v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return time.Time{}, httpx.Errorf(http.StatusBadRequest, "fromTime must be an RFC 3339 date-time, got %q", v)
	}
	return t, nil
}
