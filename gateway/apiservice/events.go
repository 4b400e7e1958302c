package apiservice

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/keptnevent"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/state"
)

func (s *Service) sendEvent(w http.ResponseWriter, r *http.Request) {
	ev, err := keptnevent.Decode(r)
	if err != nil {
		httpx.WriteErr(w, err)
		return
	}
	ev.Receive(s.now())
	ec, err := s.dispatch(r.Context(), ev)
	if err != nil {
		s.fail(w, "storing the event", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, ec)
}

// getEvent answers the latest event of a type in a context (deprecated upstream, still served).
func (s *Service) getEvent(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	keptnContext, eventType := q.Get("keptnContext"), q.Get("type")
	if keptnContext == "" || eventType == "" {
		httpx.WriteError(w, http.StatusBadRequest, "keptnContext and type are required")
		return
	}
	var page struct {
		Events []keptnevent.Event `json:"events"`
	}
	query := url.Values{"keptnContext": {keptnContext}, "type": {eventType}, "pageSize": {"1"}}
	if err := s.opts.Datastore.Do(r.Context(), http.MethodGet, "/event", query, nil, &page); err != nil {
		s.fail(w, "querying the datastore", err)
		return
	}
	if len(page.Events) == 0 {
		httpx.WriteError(w, http.StatusNotFound, "no event of type %q in context %q", eventType, keptnContext)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, page.Events[0])
}

// --- evaluation ---

type evaluationRequest struct {
	Labels    map[string]string `json:"labels"`
	Start     string            `json:"start"`
	End       string            `json:"end"`
	Timeframe string            `json:"timeframe"`
}

const eventStartEvaluation = "sh.keptn.event.start-evaluation"

var timeframeRE = regexp.MustCompile(`^([0-9]+)([smhd])$`)

func parseTimeframe(tf string) (time.Duration, error) {
	m := timeframeRE.FindStringSubmatch(tf)
	if m == nil {
		return 0, httpx.Errorf(http.StatusBadRequest, "timeframe %q must be a number followed by s, m, h or d, such as 5m", tf)
	}
	n, err := strconv.Atoi(m[1])
	if err != nil || n <= 0 {
		return 0, httpx.Errorf(http.StatusBadRequest, "timeframe %q must be positive", tf)
	}
	unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour}[m[2]]
	return time.Duration(n) * unit, nil
}

func parseWhen(field, v string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, httpx.Errorf(http.StatusBadRequest, "%s %q is not a date-time such as 2020-08-01T10:00:00Z", field, v)
}

// window works out the evaluation's start and end: start with end, or start with a timeframe,
// or a timeframe (default 5m) ending now.
func window(req evaluationRequest, now time.Time) (start, end time.Time, err error) {
	if req.End != "" && req.Timeframe != "" {
		return start, end, httpx.Errorf(http.StatusBadRequest, "give either end or timeframe, not both")
	}
	if req.End != "" && req.Start == "" {
		return start, end, httpx.Errorf(http.StatusBadRequest, "end needs a start")
	}
	tf := 5 * time.Minute
	if req.Timeframe != "" {
		if tf, err = parseTimeframe(req.Timeframe); err != nil {
			return start, end, err
		}
	}
	switch {
	case req.Start == "":
		end = now.UTC()
		start = end.Add(-tf)
	default:
		if start, err = parseWhen("start", req.Start); err != nil {
			return start, end, err
		}
		if req.End != "" {
			if end, err = parseWhen("end", req.End); err != nil {
				return start, end, err
			}
		} else {
			end = start.Add(tf)
		}
	}
	if !end.After(start) {
		return start, end, httpx.Errorf(http.StatusBadRequest, "the end of the evaluation must come after its start")
	}
	return start, end, nil
}

func (s *Service) triggerEvaluation(w http.ResponseWriter, r *http.Request) {
	projectName, stageName, serviceName := r.PathValue("projectName"), r.PathValue("stageName"), r.PathValue("serviceName")
	var req evaluationRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		httpx.WriteErr(w, err)
		return
	}
	start, end, err := window(req, s.now())
	if err != nil {
		httpx.WriteErr(w, err)
		return
	}
	ctx := r.Context()
	p, err := s.project(ctx, projectName)
	if err != nil {
		s.fail(w, "reading the project", err)
		return
	}
	if err := hasService(p, stageName, serviceName); err != nil {
		httpx.WriteErr(w, err)
		return
	}
	data := map[string]any{
		"project": projectName, "stage": stageName, "service": serviceName, "teststrategy": "manual",
		"start": start.Format(time.RFC3339), "end": end.Format(time.RFC3339),
	}
	if req.Labels != nil {
		data["labels"] = req.Labels
	}
	ec, err := s.record(ctx, eventStartEvaluation, data)
	if err != nil {
		s.fail(w, "recording the evaluation event", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, ec)
}

func hasService(p *csProject, stageName, serviceName string) error {
	for _, st := range p.Stages {
		if st.StageName != stageName {
			continue
		}
		for _, svc := range st.Services {
			if svc.ServiceName == serviceName {
				return nil
			}
		}
		return httpx.Errorf(http.StatusNotFound, "service %q does not exist in stage %q", serviceName, stageName)
	}
	return httpx.Errorf(http.StatusNotFound, "stage %q does not exist in project %q", stageName, p.ProjectName)
}

// --- metadata and bridge configuration ---

type metadata struct {
	Namespace     string            `json:"namespace"`
	Keptnlabel    string            `json:"keptnlabel"`
	Keptnversion  string            `json:"keptnversion"`
	Bridgeversion string            `json:"bridgeversion"`
	Keptnservices map[string]string `json:"keptnservices"`
}

func (s *Service) getMetadata(w http.ResponseWriter, r *http.Request) {
	impl := "keptn-gateway " + s.opts.Version
	httpx.WriteJSON(w, http.StatusOK, metadata{
		Namespace: "keptn", Keptnlabel: "keptn", Keptnversion: KeptnVersion, Bridgeversion: KeptnVersion,
		Keptnservices: map[string]string{
			"api-service": impl, "configuration-service": impl, "mongodb-datastore": impl, "api-gateway-nginx": impl,
		},
	})
}

type bridgeCredentials struct {
	User     string `json:"user"`
	Password string `json:"password"`
}

func (s *Service) configureBridge(w http.ResponseWriter, r *http.Request) {
	var c struct {
		User     *string `json:"user"`
		Password *string `json:"password"`
	}
	if err := httpx.DecodeJSON(r, &c); err != nil {
		httpx.WriteErr(w, err)
		return
	}
	if c.User == nil || strings.TrimSpace(*c.User) == "" || c.Password == nil || *c.Password == "" {
		httpx.WriteError(w, http.StatusBadRequest, "user and password are required")
		return
	}
	if err := s.st.Put(r.Context(), state.Config, "bridge", bridgeCredentials{User: *c.User, Password: *c.Password}, time.Time{}); err != nil {
		s.fail(w, "storing the bridge credentials", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, "") // as upstream: its spec documents a string, it writes ""
}

func (s *Service) getBridgeConfig(w http.ResponseWriter, r *http.Request) {
	var c bridgeCredentials
	if err := s.bridgeCredentials(r.Context(), &c); err != nil {
		s.fail(w, "reading the bridge credentials", err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, c)
}
