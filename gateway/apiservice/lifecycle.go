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

// record stores a new event of the api-service's own in the datastore and hands it to the
// configuration-service, and answers with its context.
func (s *Service) record(ctx context.Context, eventType string, data map[string]any) (eventContext, error) {
	ev := keptnevent.New(eventType, source, ids.NewUUID(), data, s.now())
	return s.dispatch(ctx, ev)
}

func (s *Service) dispatch(ctx context.Context, ev keptnevent.Event) (eventContext, error) {
	if err := s.opts.Datastore.Do(ctx, http.MethodPost, "/event", nil, ev, nil); err != nil {
		return eventContext{}, err
	}
	if err := s.opts.ConfigurationService.Do(ctx, http.MethodPost, "/v1/event", nil, ev, nil); err != nil {
		return eventContext{}, err
	}
	kctx := ev.Str("shkeptncontext")
	return eventContext{KeptnContext: kctx, Token: s.ws.grant(kctx, describe(ev), s.now())}, nil
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
	ctx := r.Context()
	if _, err := s.project(ctx, req.Name); err == nil {
		httpx.WriteError(w, http.StatusConflict, "project %q already exists", req.Name)
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
	if err := s.opts.ConfigurationService.Do(ctx, http.MethodPost, "/v1/project", nil, body, nil); err != nil {
		s.fail(w, "creating the project", err)
		return
	}
	resources := map[string]any{"resources": []map[string]string{{
		"resourceURI": "shipyard.yaml", "resourceContent": base64.StdEncoding.EncodeToString([]byte(yamlText)),
	}}}
	if err := s.opts.ConfigurationService.Do(ctx, http.MethodPost, "/v1/project/"+req.Name+"/resource", nil, resources, nil); err != nil {
		s.fail(w, "storing the shipyard", err)
		return
	}
	ec, err := s.record(ctx, eventProjectCreate, map[string]any{
		"project": req.Name, "shipyard": req.Shipyard, "gitUser": req.GitUser, "gitRemoteURL": req.GitRemoteURL,
	})
	if err != nil {
		s.fail(w, "recording the project event", err)
		return
	}
	s.log.Info("project created", "project", req.Name, "stages", len(stages))
	httpx.WriteJSON(w, http.StatusOK, ec)
}

func (s *Service) deleteProject(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("projectName")
	if err := validName("project", name); err != nil {
		httpx.WriteErr(w, err)
		return
	}
	ctx := r.Context()
	if _, err := s.project(ctx, name); err != nil {
		s.fail(w, "reading the project", err)
		return
	}
	if err := s.opts.ConfigurationService.Do(ctx, http.MethodDelete, "/v1/project/"+name, nil, nil, nil); err != nil {
		s.fail(w, "deleting the project", err)
		return
	}
	ec, err := s.record(ctx, eventProjectDelete, map[string]any{"project": name})
	if err != nil {
		s.fail(w, "recording the project event", err)
		return
	}
	s.log.Info("project deleted", "project", name)
	httpx.WriteJSON(w, http.StatusOK, ec)
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
	var chart []byte
	if req.HelmChart != "" {
		var err error
		if chart, err = base64.StdEncoding.DecodeString(req.HelmChart); err != nil {
			httpx.WriteError(w, http.StatusBadRequest, "helmChart must be base64-encoded: %v", err)
			return
		}
	}
	ctx := r.Context()
	p, err := s.project(ctx, projectName)
	if err != nil {
		s.fail(w, "reading the project", err)
		return
	}
	for _, st := range p.Stages {
		for _, svc := range st.Services {
			if svc.ServiceName == req.ServiceName {
				httpx.WriteError(w, http.StatusConflict, "service %q already exists in project %q", req.ServiceName, projectName)
				return
			}
		}
	}
	for _, st := range p.Stages {
		stagePath := "/v1/project/" + projectName + "/stage/" + st.StageName
		if err := s.opts.ConfigurationService.Do(ctx, http.MethodPost, stagePath+"/service", nil, map[string]string{"serviceName": req.ServiceName}, nil); err != nil {
			s.fail(w, "creating the service", err)
			return
		}
		if chart != nil {
			res := map[string]any{"resources": []map[string]string{{
				"resourceURI": "helm/" + req.ServiceName + ".tgz", "resourceContent": base64.StdEncoding.EncodeToString(chart),
			}}}
			if err := s.opts.ConfigurationService.Do(ctx, http.MethodPost, stagePath+"/service/"+req.ServiceName+"/resource", nil, res, nil); err != nil {
				s.fail(w, "storing the Helm chart", err)
				return
			}
		}
	}
	data := map[string]any{"project": projectName, "service": req.ServiceName}
	if req.DeploymentStrategies != nil {
		data["deploymentStrategies"] = req.DeploymentStrategies
	}
	ec, err := s.record(ctx, eventServiceCreate, data)
	if err != nil {
		s.fail(w, "recording the service event", err)
		return
	}
	s.log.Info("service created", "project", projectName, "service", req.ServiceName)
	httpx.WriteJSON(w, http.StatusOK, ec)
}

func (s *Service) deleteService(w http.ResponseWriter, r *http.Request) {
	projectName, serviceName := r.PathValue("projectName"), r.PathValue("serviceName")
	if err := validName("service", serviceName); err != nil {
		httpx.WriteErr(w, err)
		return
	}
	ctx := r.Context()
	p, err := s.project(ctx, projectName)
	if err != nil {
		s.fail(w, "reading the project", err)
		return
	}
	found := false
	for _, st := range p.Stages {
		for _, svc := range st.Services {
			if svc.ServiceName != serviceName {
				continue
			}
			found = true
			path := "/v1/project/" + projectName + "/stage/" + st.StageName + "/service/" + serviceName
			if err := s.opts.ConfigurationService.Do(ctx, http.MethodDelete, path, nil, nil, nil); err != nil {
				s.fail(w, "deleting the service", err)
				return
			}
		}
	}
	if !found {
		httpx.WriteError(w, http.StatusNotFound, "service %q does not exist in project %q", serviceName, projectName)
		return
	}
	ec, err := s.record(ctx, eventServiceDelete, map[string]any{"project": projectName, "service": serviceName})
	if err != nil {
		s.fail(w, "recording the service event", err)
		return
	}
	s.log.Info("service deleted", "project", projectName, "service", serviceName)
	httpx.WriteJSON(w, http.StatusOK, ec)
}
