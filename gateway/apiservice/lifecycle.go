package apiservice

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"regexp"

	"sigs.k8s.io/yaml"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/ids"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/keptnevent"
)

// Keptn's internal event types for the lifecycle (0.7.x).
const (
	eventProjectCreate = "sh.keptn.internal.event.project.create"
	eventProjectDelete = "sh.keptn.internal.event.project.delete"
	eventServiceCreate = "sh.keptn.internal.event.service.create"
	eventServiceDelete = "sh.keptn.internal.event.service.delete"
)

var nameRE = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

const maxNameLen = 200

func validName(kind, name string) error {
	if name == "" {
		return httpx.Errorf(http.StatusBadRequest, "the %s name is empty", kind)
	}
	if len(name) > maxNameLen || !nameRE.MatchString(name) {
		return httpx.Errorf(http.StatusBadRequest, "%s name %q is invalid: use lower case letters, digits and dashes, starting with a letter, at most %d characters", kind, name, maxNameLen)
	}
	return nil
}

type eventContext struct {
	KeptnContext string `json:"keptnContext"`
	Token        string `json:"token"`
}

// event makes a new event of the api-service's own, in a new Keptn context.
func (s *Service) event(eventType string, data map[string]any) keptnevent.Event {
	return keptnevent.New(eventType, source, ids.NewUUID(), data, s.now())
}

// record stores a new event of the api-service's own in the datastore and hands it to the
// configuration-service, and answers with its context.
func (s *Service) record(ctx context.Context, eventType string, data map[string]any) (eventContext, error) {
	return s.dispatch(ctx, s.event(eventType, data))
}

// dispatch stores an event in the datastore and hands it to the configuration-service (both
// idempotent: the datastore keeps an event id once).
// The websocket token is granted first: a state store that cannot be reached fails the request
// before anything is recorded.
func (s *Service) dispatch(ctx context.Context, ev keptnevent.Event) (eventContext, error) {
	kctx := ev.Str("shkeptncontext")
	tok, err := s.grant(ctx, kctx, describe(ev))
	if err != nil {
		return eventContext{}, err
	}
	if err := s.opts.Datastore.Do(ctx, http.MethodPost, "/event", nil, ev, nil); err != nil {
		return eventContext{}, err
	}
	if err := s.opts.ConfigurationService.Do(ctx, http.MethodPost, "/v1/event", nil, ev, nil); err != nil {
		return eventContext{}, err
	}
	return eventContext{KeptnContext: kctx, Token: tok}, nil
}

// describe is what the log websocket tells the keptn CLI about an event.
func describe(ev keptnevent.Event) string {
	p, svc := ev.DataStr("project"), ev.DataStr("service")
	switch ev.Str("type") {
	case eventProjectCreate:
		return "Project " + p + " created"
	case eventProjectDelete:
		return "Project " + p + " deleted"
	case eventServiceCreate:
		return "Service " + svc + " created in project " + p
	case eventServiceDelete:
		return "Service " + svc + " deleted from project " + p
	}
	return "Event " + ev.Str("type") + " received (Keptn context " + ev.Str("shkeptncontext") + ")"
}

// fail answers with err's status, logging errors that are not the client's.
func (s *Service) fail(w http.ResponseWriter, op string, err error) {
	var se *httpx.StatusError
	if !errors.As(err, &se) || se.Status >= 500 {
		s.log.Error(op+" failed", "err", err)
	}
	httpx.WriteErr(w, err)
}

// --- projects ---

type projectRequest struct {
	Name         string `json:"name"`
	Shipyard     string `json:"shipyard"`
	GitUser      string `json:"gitUser"`
	GitToken     string `json:"gitToken"`
	GitRemoteURL string `json:"gitRemoteURL"`
}

// shipyard is the part of a shipyard file the gateway reads: the stages, in either the 0.1
// shape (`stages:`) or the 0.2 shape (`spec: {stages:}`).
type shipyard struct {
	Stages []struct {
		Name string `json:"name"`
	} `json:"stages"`
	Spec struct {
		Stages []struct {
			Name string `json:"name"`
		} `json:"stages"`
	} `json:"spec"`
}

func parseShipyard(b64 string) (yamlText string, stages []string, err error) {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", nil, httpx.Errorf(http.StatusBadRequest, "shipyard must be base64-encoded YAML: %v", err)
	}
	var sy shipyard
	if err := yaml.Unmarshal(raw, &sy); err != nil {
		return "", nil, httpx.Errorf(http.StatusBadRequest, "shipyard is not valid YAML: %v", err)
	}
	list := sy.Stages
	if len(list) == 0 {
		list = sy.Spec.Stages
	}
	if len(list) == 0 {
		return "", nil, httpx.Errorf(http.StatusBadRequest, "shipyard has no stages")
	}
	seen := map[string]bool{}
	for _, st := range list {
		if err := validName("stage", st.Name); err != nil {
			return "", nil, err
		}
		if seen[st.Name] {
			return "", nil, httpx.Errorf(http.StatusBadRequest, "shipyard lists stage %q twice", st.Name)
		}
		seen[st.Name] = true
		stages = append(stages, st.Name)
	}
	return string(raw), stages, nil
}

// csProject is the configuration-service's view of a project, as much as the api-service reads.
type csProject struct {
	ProjectName string `json:"projectName"`
	Stages      []struct {
		StageName string `json:"stageName"`
		Services  []struct {
			ServiceName string `json:"serviceName"`
		} `json:"services"`
	} `json:"stages"`
}

// stageNames are the project's stages, in order.
func (p *csProject) stageNames() []string {
	var out []string
	for _, st := range p.Stages {
		out = append(out, st.StageName)
	}
	return out
}

// stageHas reports whether a stage of the project has a service.
func (p *csProject) stageHas(stage, service string) bool {
	for _, st := range p.Stages {
		if st.StageName != stage {
			continue
		}
		for _, svc := range st.Services {
			if svc.ServiceName == service {
				return true
			}
		}
	}
	return false
}

// has reports whether any stage of the project has a service.
func (p *csProject) has(service string) bool {
	for _, st := range p.Stages {
		if p.stageHas(st.StageName, service) {
			return true
		}
	}
	return false
}

// project reads a project from the configuration-service; a missing one is a 404.
func (s *Service) project(ctx context.Context, name string) (*csProject, error) {
	var p csProject
	err := s.opts.ConfigurationService.Do(ctx, http.MethodGet, "/v1/project/"+url.PathEscape(name), nil, nil, &p)
	var se *httpx.StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		return nil, httpx.Errorf(http.StatusNotFound, "project %q does not exist", name)
	}
	return &p, err
}

func (s *Service) createProject(w http.ResponseWriter, r *http.Request) {
	var req projectRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.WriteErr(w, err)
		return
	}
	if err := validName("project", req.Name); err != nil {
		httpx.WriteErr(w, err)
		return
	}
	if req.Shipyard == "" {
		httpx.WriteError(w, http.StatusBadRequest, "shipyard is required")
		return
	}
	yamlText, stages, err := parseShipyard(req.Shipyard)
	if err != nil {
		httpx.WriteErr(w, err)
		return
	}
	type stage struct {
		StageName string `json:"stageName"`
	}
	body := map[string]any{"projectName": req.Name, "gitUser": req.GitUser, "gitRemoteURI": req.GitRemoteURL, "gitToken": req.GitToken}
	var st []stage
	for _, n := range stages {
		st = append(st, stage{StageName: n})
	}
	body["stages"] = st
	in := intent{Kind: createProject, Project: req.Name, Body: body, Shipyard: base64.StdEncoding.EncodeToString([]byte(yamlText)),
		Event: s.event(eventProjectCreate, map[string]any{
			"project": req.Name, "shipyard": req.Shipyard, "gitUser": req.GitUser, "gitRemoteURL": req.GitRemoteURL,
		})}
	s.carryOut(w, r, in, func(p *csProject) error {
		if p != nil {
			return httpx.Errorf(http.StatusConflict, "project %q already exists", req.Name)
		}
		return nil
	})
}

func (s *Service) deleteProject(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("projectName")
	if err := validName("project", name); err != nil {
		httpx.WriteErr(w, err)
		return
	}
	in := intent{Kind: deleteProject, Project: name, Event: s.event(eventProjectDelete, map[string]any{"project": name})}
	s.carryOut(w, r, in, func(p *csProject) error {
		if p == nil {
			return httpx.Errorf(http.StatusNotFound, "project %q does not exist", name)
		}
		return nil
	})
}

// --- services ---

type serviceRequest struct {
	ServiceName          string            `json:"serviceName"`
	HelmChart            string            `json:"helmChart"`
	DeploymentStrategies map[string]string `json:"deploymentStrategies"`
}

func (s *Service) createService(w http.ResponseWriter, r *http.Request) {
	projectName := r.PathValue("projectName")
	var req serviceRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.WriteErr(w, err)
		return
	}
	if err := validName("service", req.ServiceName); err != nil {
		httpx.WriteErr(w, err)
		return
	}
	if req.HelmChart != "" {
		if _, err := base64.StdEncoding.DecodeString(req.HelmChart); err != nil {
			httpx.WriteError(w, http.StatusBadRequest, "helmChart must be base64-encoded: %v", err)
			return
		}
	}
	data := map[string]any{"project": projectName, "service": req.ServiceName}
	if req.DeploymentStrategies != nil {
		data["deploymentStrategies"] = req.DeploymentStrategies
	}
	in := intent{Kind: createService, Project: projectName, Service: req.ServiceName, Chart: req.HelmChart, Event: s.event(eventServiceCreate, data)}
	s.carryOut(w, r, in, func(p *csProject) error {
		if p == nil {
			return httpx.Errorf(http.StatusNotFound, "project %q does not exist", projectName)
		}
		if p.has(req.ServiceName) {
			return httpx.Errorf(http.StatusConflict, "service %q already exists in project %q", req.ServiceName, projectName)
		}
		return nil
	})
}

func (s *Service) deleteService(w http.ResponseWriter, r *http.Request) {
	projectName, serviceName := r.PathValue("projectName"), r.PathValue("serviceName")
	if err := validName("service", serviceName); err != nil {
		httpx.WriteErr(w, err)
		return
	}
	in := intent{Kind: deleteService, Project: projectName, Service: serviceName,
		Event: s.event(eventServiceDelete, map[string]any{"project": projectName, "service": serviceName})}
	s.carryOut(w, r, in, func(p *csProject) error {
		if p == nil {
			return httpx.Errorf(http.StatusNotFound, "project %q does not exist", projectName)
		}
		if !p.has(serviceName) {
			return httpx.Errorf(http.StatusNotFound, "service %q does not exist in project %q", serviceName, projectName)
		}
		return nil
	})
}
