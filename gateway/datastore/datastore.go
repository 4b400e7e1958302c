// Package datastore is the mongodb-datastore role of the reference gateway: it stores every
// Keptn event and answers queries over them, newest first, with filters and paging.
package datastore

import (
	"bytes"
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
	bucketEvents    = "events"     // sequence → event JSON
	bucketIDs       = "ids"        // event id → sequence
	bucketContexts  = "contexts"   // keptn context → sequence of its first (root) event
	bucketByContext = "by-context" // keptn context NUL sequence → nothing: the events of a context
	bucketByType    = "by-type"    // type NUL sequence → nothing: the events of a type
	bucketByProject = "by-project" // data.project NUL sequence → nothing: the events of a project

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
func Open(dataDir string, log *slog.Logger, lockTimeout time.Duration, opts ...store.Option) (*Service, error) {
	db, err := store.OpenWith(dataDir, "mongodb-datastore.db", lockTimeout, opts, bucketEvents, bucketIDs, bucketContexts, bucketByContext, bucketByType, bucketByProject)
	if err != nil {
		return nil, err
	}
	s := &Service{db: db, log: log, now: time.Now}
	if err := s.indexOldEvents(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// indexKey is an index entry's key: a value, NUL, the event's sequence.
func indexKey(value string, seq []byte) []byte {
	return append(append([]byte(value), 0), seq...)
}

// indexes are the index buckets and the field each files events under.
var indexes = []struct{ bucket, field string }{
	{bucketByContext, "shkeptncontext"}, {bucketByType, "type"}, {bucketByProject, "data.project"},
}

// index files an event under its context, type and project.
func index(tx *store.Tx, h header, seq []byte) error {
	for _, ix := range indexes {
		if err := tx.Bucket([]byte(ix.bucket)).Put(indexKey(h.field(ix.field), seq), nil); err != nil {
			return err
		}
	}
	return nil
}

// unindex removes an event's index entries.
func unindex(tx *store.Tx, h header, seq []byte) error {
	for _, ix := range indexes {
		if err := tx.Bucket([]byte(ix.bucket)).Delete(indexKey(h.field(ix.field), seq)); err != nil {
			return err
		}
	}
	return nil
}

// indexOldEvents indexes the events of a store made before the indexes existed.
func (s *Service) indexOldEvents() error {
	return s.db.Update(func(tx *store.Tx) error {
		if k, _ := tx.Bucket([]byte(bucketByContext)).Cursor().First(); k != nil {
			return nil
		}
		return store.ForEach(tx, bucketEvents, func(k, v []byte) error {
			h, err := readHeader(v)
			if err != nil {
				return err
			}
			return index(tx, h, k)
		})
	})
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
		h := header{Context: ev.Str("shkeptncontext"), Type: ev.Str("type")}
		h.Data.Project = ev.DataStr("project")
		if err := index(tx, h, store.SeqKey(seq)); err != nil {
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
		type doomed struct {
			key []byte
			h   header
		}
		var drop []doomed
		err := candidates(tx, map[string]string{"data.project": project}, func(k, v []byte) error {
			h, err := readHeader(v)
			if err != nil {
				return err
			}
			if h.Data.Project == project {
				drop = append(drop, doomed{append([]byte(nil), k...), h})
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, d := range drop {
			first := tx.Bucket([]byte(bucketContexts)).Get([]byte(d.h.Context))
			if first != nil && string(first) == string(d.key) {
				if err := store.Delete(tx, bucketContexts, d.h.Context); err != nil {
					return err
				}
			}
			if err := unindex(tx, d.h, d.key); err != nil {
				return err
			}
			if err := store.Delete(tx, bucketIDs, d.h.ID); err != nil {
				return err
			}
			if err := events.Delete(d.key); err != nil {
				return err
			}
		}
		return nil
	})
}

// header is what queries filter on; reading it costs a fraction of decoding a whole event.
type header struct {
	ID          string          `json:"id"`
	Type        string          `json:"type"`
	Source      string          `json:"source"`
	Context     string          `json:"shkeptncontext"`
	TriggeredID string          `json:"triggeredid"`
	Time        string          `json:"time"`
	RawData     json.RawMessage `json:"data"`
	Data        struct {
		Project string `json:"project"`
		Stage   string `json:"stage"`
		Service string `json:"service"`
	} `json:"-"`
}

func readHeader(v []byte) (header, error) {
	var h header
	if err := json.Unmarshal(v, &h); err != nil {
		return h, err
	}
	if len(h.RawData) > 0 && h.RawData[0] == '{' {
		_ = json.Unmarshal(h.RawData, &h.Data) // data fields of other types are simply not matched
	}
	return h, nil
}

// newerThan reports whether the event's time is after from (always, for a zero from).
func (h header) newerThan(from time.Time) bool {
	if from.IsZero() {
		return true
	}
	t, err := time.Parse(time.RFC3339Nano, h.Time)
	return err == nil && t.After(from)
}

// field is a header field by the name a query uses.
func (h header) field(name string) string {
	switch name {
	case "shkeptncontext":
		return h.Context
	case "type":
		return h.Type
	case "source":
		return h.Source
	case "id":
		return h.ID
	case "data.project":
		return h.Data.Project
	case "data.stage":
		return h.Data.Stage
	case "data.service":
		return h.Data.Service
	}
	return ""
}

// stored is a matching event: its key, its time, and its JSON (decoded only when answered).
type stored struct {
	seq  uint64
	time time.Time
	raw  []byte
}

// candidates calls fn for the events a query has to look at: through an index when the query
// names a context, a type or a project (in that order of preference), else all.
func candidates(tx *store.Tx, match map[string]string, fn func(seq []byte, v []byte) error) error {
	events := tx.Bucket([]byte(bucketEvents))
	var bucket, prefix string
	for _, ix := range indexes {
		if v := match[ix.field]; v != "" {
			bucket, prefix = ix.bucket, v+"\x00"
			break
		}
	}
	if bucket == "" {
		return events.ForEach(fn)
	}
	return store.ForEachPrefix(tx, bucket, prefix, func(k string, _ []byte) error {
		seq := []byte(k[len(prefix):])
		if v := events.Get(seq); v != nil {
			return fn(seq, v)
		}
		return nil
	})
}

// query returns the events keep passes among the candidates, newest first (by time, then by
// insertion).
func (s *Service) query(match map[string]string, keep func(seq uint64, h header, raw []byte, tx *store.Tx) bool) ([]stored, error) {
	var out []stored
	err := s.db.View(func(tx *store.Tx) error {
		return candidates(tx, match, func(k, v []byte) error {
			h, err := readHeader(v)
			if err != nil {
				return err
			}
			seq := binary.BigEndian.Uint64(k)
			if keep(seq, h, v, tx) {
				t, _ := time.Parse(time.RFC3339Nano, h.Time)
				out = append(out, stored{seq: seq, time: t, raw: append([]byte(nil), v...)})
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
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	return ev, dec.Decode(&ev)
}

// answer decodes the events of a page.
func answer(events []stored) ([]keptnevent.Event, error) {
	out := make([]keptnevent.Event, 0, len(events))
	for _, e := range events {
		ev, err := decode(e.raw)
		if err != nil {
			return nil, err
		}
		out = append(out, ev)
	}
	return out, nil
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
	events, err := s.query(match, func(seq uint64, h header, _ []byte, tx *store.Tx) bool {
		for field, want := range match {
			if h.field(field) != want {
				return false
			}
		}
		if !h.newerThan(from) {
			return false
		}
		if root {
			first := tx.Bucket([]byte(bucketContexts)).Get([]byte(h.Context))
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
		if page.Events, err = answer(events[offset:end]); err != nil {
			httpx.WriteErr(w, err)
			return
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
		for _, t := range []string{"sh.keptn.event.evaluation.invalidated", "sh.keptn.events.evaluation.invalidated"} {
			inv, err := s.query(map[string]string{"type": t}, func(uint64, header, []byte, *store.Tx) bool { return true })
			if err != nil {
				httpx.WriteErr(w, err)
				return
			}
			for _, e := range inv {
				if h, err := readHeader(e.raw); err == nil {
					invalidated[h.TriggeredID] = true
				}
			}
		}
	}
	events, err := s.query(map[string]string{"type": eventType}, func(_ uint64, h header, raw []byte, _ *store.Tx) bool {
		if invalidated[h.ID] {
			return false
		}
		if !h.newerThan(from) {
			return false
		}
		if len(conds) == 0 {
			return true
		}
		ev, err := decode(raw) // a filter may name any field
		if err != nil {
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
	if len(events) > limit {
		events = events[:limit]
	}
	if out.Events, err = answer(events); err != nil {
		httpx.WriteErr(w, err)
		return
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
