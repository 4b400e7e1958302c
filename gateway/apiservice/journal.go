package apiservice

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/ids"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/keptnevent"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/state"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// The lifecycle (creating or deleting a project or a service) spans the configuration-service
// and the datastore, each with its own store, in another process in the split topology. It is
// made all-or-nothing by a journal: the whole plan is written to the api-service's store first,
// in one transaction, then carried out step by step, each step idempotent (it looks before it
// writes), and the plan removed at the end. A plan left by a crash is carried out to its end at
// the next start, or by the next request on the same project or service: a lifecycle request is
// either not journaled (nothing happened) or completed.

const bucketJournal = "lifecycle"

// The kinds of plan.
const (
	createProject = "create-project"
	deleteProject = "delete-project"
	createService = "create-service"
	deleteService = "delete-service"
)

// intent is a journaled lifecycle plan: everything needed to carry it out again.
type intent struct {
	Kind    string `json:"kind"`
	Project string `json:"project"`
	Service string `json:"service,omitempty"`
	// Body is the configuration-service's project body, Shipyard the shipyard file in base64
	// (create-project); Stages are the project's stages (services), Chart the Helm chart in
	// base64 (create-service).
	Body     map[string]any   `json:"body,omitempty"`
	Shipyard string           `json:"shipyard,omitempty"`
	Stages   []string         `json:"stages,omitempty"`
	Chart    string           `json:"chart,omitempty"`
	Event    keptnevent.Event `json:"event"`
}

// key is the journal key: one plan at a time per project, and per service.
func (in intent) key() string {
	if in.Service != "" {
		return "service/" + in.Project + "/" + in.Service
	}
	return "project/" + in.Project
}

// step marks the end of a step of a plan; tests stop a plan there with the crash hook.
func (s *Service) step(name string) error {
	if crash := s.crash.Load(); crash != nil {
		return (*crash)(name)
	}
	return nil
}

// carryOut answers a lifecycle request: under the lifecycle lock, it completes a plan a crash left
// for the same entity (a retry of a create then answers with that plan's context), checks the
// request against the configuration-service's state (refuse: nil to go on), journals the plan
// and carries it out.
func (s *Service) carryOut(w http.ResponseWriter, r *http.Request, in intent, refuse func(*csProject) error) {
	ctx := r.Context()
	// The websocket token first: a state store that cannot be reached fails the request before
	// anything is journaled.
	tok, err := s.grant(ctx, in.Event.Str("shkeptncontext"), describe(in.Event))
	if err != nil {
		s.fail(w, "granting the websocket token", err)
		return
	}
	s.lifecycle.Lock()
	defer s.lifecycle.Unlock()
	release, err := s.lease(ctx, in.Project)
	if err != nil {
		s.fail(w, "waiting for another replica's change of the project", err)
		return
	}
	defer release()
	var left intent
	err = s.db.View(func(tx *store.Tx) error { return store.Get(tx, bucketJournal, in.key(), &left) })
	if err == nil {
		if err := s.apply(ctx, left); err != nil {
			s.fail(w, "completing an interrupted "+left.Kind, err)
			return
		}
		if left.Kind == in.Kind {
			leftTok, err := s.grant(ctx, left.Event.Str("shkeptncontext"), describe(left.Event))
			if err != nil {
				s.fail(w, "granting the websocket token", err)
				return
			}
			s.answer(w, left, leftTok)
			return
		}
	}
	p, err := s.project(ctx, in.Project)
	var se *httpx.StatusError
	switch {
	case errors.As(err, &se) && se.Status == http.StatusNotFound:
		p = nil
	case err != nil:
		s.fail(w, "reading the project", err)
		return
	}
	if err := refuse(p); err != nil {
		httpx.WriteErr(w, err)
		return
	}
	if in.Kind == createService || in.Kind == deleteService {
		in.Stages = p.stageNames()
	}
	err = s.db.Update(func(tx *store.Tx) error { return store.Put(tx, bucketJournal, in.key(), in) })
	if err == nil {
		err = s.step("journaled")
	}
	if err == nil {
		err = s.apply(ctx, in)
	}
	if err != nil {
		s.fail(w, in.Kind, err)
		return
	}
	s.answer(w, in, tok)
}

// answer answers a plan carried out, with its websocket token.
func (s *Service) answer(w http.ResponseWriter, in intent, tok string) {
	s.log.Info(in.Kind+" done", "project", in.Project, "service", in.Service)
	httpx.WriteJSON(w, http.StatusOK, eventContext{KeptnContext: in.Event.Str("shkeptncontext"), Token: tok})
}

// apply carries a plan out from wherever it stands, and removes it from the journal.
func (s *Service) apply(ctx context.Context, in intent) error {
	cs := s.opts.ConfigurationService
	projectPath := "/v1/project/" + url.PathEscape(in.Project)
	p, err := s.project(ctx, in.Project)
	var se *httpx.StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		p, err = nil, nil
	}
	if err != nil {
		return err
	}
	switch in.Kind {
	case createProject:
		if p == nil {
			if err := cs.Do(ctx, http.MethodPost, "/v1/project", nil, in.Body, nil); err != nil {
				return fmt.Errorf("creating the project: %w", err)
			}
		}
		if err := s.step("project"); err != nil {
			return err
		}
		res := map[string]any{"resources": []map[string]string{{"resourceURI": "shipyard.yaml", "resourceContent": in.Shipyard}}}
		if err := cs.Do(ctx, http.MethodPost, projectPath+"/resource", nil, res, nil); err != nil {
			return fmt.Errorf("storing the shipyard: %w", err)
		}
		if err := s.step("shipyard"); err != nil {
			return err
		}
	case deleteProject:
		if p != nil {
			if err := cs.Do(ctx, http.MethodDelete, projectPath, nil, nil, nil); err != nil {
				return fmt.Errorf("deleting the project: %w", err)
			}
		}
		if err := s.step("project"); err != nil {
			return err
		}
	case createService, deleteService:
		for _, stage := range in.Stages {
			servicePath := projectPath + "/stage/" + url.PathEscape(stage) + "/service"
			there := p != nil && p.stageHas(stage, in.Service)
			switch {
			case in.Kind == createService && !there:
				if err := cs.Do(ctx, http.MethodPost, servicePath, nil, map[string]string{"serviceName": in.Service}, nil); err != nil {
					return fmt.Errorf("creating the service in stage %s: %w", stage, err)
				}
			case in.Kind == deleteService && there:
				if err := cs.Do(ctx, http.MethodDelete, servicePath+"/"+url.PathEscape(in.Service), nil, nil, nil); err != nil {
					return fmt.Errorf("deleting the service from stage %s: %w", stage, err)
				}
			}
			if in.Kind == createService && in.Chart != "" {
				res := map[string]any{"resources": []map[string]string{{"resourceURI": "helm/" + in.Service + ".tgz", "resourceContent": in.Chart}}}
				if err := cs.Do(ctx, http.MethodPost, servicePath+"/"+url.PathEscape(in.Service)+"/resource", nil, res, nil); err != nil {
					return fmt.Errorf("storing the Helm chart in stage %s: %w", stage, err)
				}
			}
			if err := s.step("stage " + stage); err != nil {
				return err
			}
		}
	}
	if err := s.opts.Datastore.Do(ctx, http.MethodPost, "/event", nil, in.Event, nil); err != nil {
		return fmt.Errorf("recording the event: %w", err)
	}
	if err := s.step("datastore event"); err != nil {
		return err
	}
	if err := cs.Do(ctx, http.MethodPost, "/v1/event", nil, in.Event, nil); err != nil {
		return fmt.Errorf("handing the event to the configuration-service: %w", err)
	}
	if err := s.step("configuration-service event"); err != nil {
		return err
	}
	return s.db.Update(func(tx *store.Tx) error { return store.Delete(tx, bucketJournal, in.key()) })
}

// recover carries out the plans a crash left in the journal, retrying while the other roles are
// unreachable (they may be starting too), until done or stop is closed.
func (s *Service) recover(stop <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	for {
		var left []intent
		err := s.db.View(func(tx *store.Tx) error {
			return store.ForEach(tx, bucketJournal, func(_, v []byte) error {
				var in intent
				if err := json.Unmarshal(v, &in); err != nil {
					return err
				}
				left = append(left, in)
				return nil
			})
		})
		if err == nil && len(left) == 0 {
			return
		}
		failed := err != nil
		for _, in := range left {
			s.lifecycle.Lock()
			var still intent
			release, lerr := s.lease(ctx, in.Project)
			if lerr != nil {
				failed = true
				s.log.Warn("waiting for another replica's change of the project failed; retrying", "project", in.Project, "err", lerr)
			} else if s.db.View(func(tx *store.Tx) error { return store.Get(tx, bucketJournal, in.key(), &still) }) == nil {
				if err := s.apply(ctx, still); err != nil {
					failed = true
					s.log.Warn("completing an interrupted lifecycle request failed; retrying", "kind", in.Kind, "project", in.Project, "service", in.Service, "err", err)
				} else {
					s.log.Info("completed an interrupted lifecycle request", "kind", in.Kind, "project", in.Project, "service", in.Service)
				}
			}
			if lerr == nil {
				release()
			}
			s.lifecycle.Unlock()
		}
		if !failed {
			return
		}
		select {
		case <-stop:
			return
		case <-time.After(time.Second):
		}
	}
}

// Replicas sharing a state store change a project one at a time: a plan holds the project's
// lease in the store (the replica's own lifecycle lock serialises its own plans). So two replicas
// asked to create the same project at once answer one 200 and one 409, as one replica does.
const (
	leaseTTL  = 5 * time.Minute  // longer than any plan; a crashed holder's lease lapses after it
	leaseWait = 30 * time.Second // how long a plan waits for another replica's
)

type leaseRecord struct {
	Owner   string    `json:"owner"`
	Expires time.Time `json:"expires"`
}

// lease takes the project's lease (no-op without a shared store) and returns its release.
func (s *Service) lease(ctx context.Context, project string) (release func(), err error) {
	if s.opts.State == nil {
		return func() {}, nil
	}
	key, owner := state.Key("lifecycle\x00"+project), ids.Token(16)
	deadline := time.Now().Add(leaseWait)
	for wait := 20 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		rec := leaseRecord{Owner: owner, Expires: time.Now().Add(leaseTTL)}
		if err := s.st.Add(ctx, state.Lease, key, &rec, rec.Expires); err != nil {
			return nil, err
		}
		if rec.Owner == owner {
			return func() {
				if err := s.st.Delete(context.WithoutCancel(ctx), state.Lease, key); err != nil {
					s.log.Warn("releasing the project's lease failed; it lapses by itself", "project", project, "err", err)
				}
			}, nil
		}
		if time.Now().Add(wait).After(deadline) {
			return nil, httpx.Errorf(http.StatusServiceUnavailable, "another replica of api-service is still changing project %q: try again", project)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait):
		}
	}
}
