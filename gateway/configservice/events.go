package configservice

import (
	"errors"
	"net/http"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/keptnevent"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// handleEvent: POST /v1/event (internal). An event whose data names an existing project
// (stage, service) becomes the last event of the project (and stage), and the last event of
// its type of the service in that stage; a deployment-finished event with data.image sets the
// service's deployed image. Events about unknown projects, stages or services are accepted and
// not recorded. 200 without a body.
func (s *Service) handleEvent(w http.ResponseWriter, r *http.Request) {
	e, err := keptnevent.Decode(r)
	if err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	if project := e.DataStr("project"); project != "" {
		err = s.db.Update(func(tx *store.Tx) error { return recordEvent(tx, project, e) })
		if err != nil {
			s.fail(w, r, err, http.StatusBadRequest)
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}

// recordEvent records the event on the project named by its data, its stage and service.
func recordEvent(tx *store.Tx, project string, e keptnevent.Event) error {
	p, err := loadProject(tx, project)
	var me *missingError
	if errors.As(err, &me) {
		return nil
	}
	if err != nil {
		return err
	}
	ctx := eventContext{KeptnContext: e.Str("shkeptncontext"), EventID: e.Str("id"), Time: e.Str("time")}
	p.LastEventContext = &ctx
	if st := p.stage(e.DataStr("stage")); st != nil {
		st.LastEventContext = &ctx
		if svc := st.service(e.DataStr("service")); svc != nil {
			if svc.LastEventTypes == nil {
				svc.LastEventTypes = map[string]eventContext{}
			}
			svc.LastEventTypes[e.Str("type")] = ctx
			if image := e.DataStr("image"); image != "" && strings.HasSuffix(e.Str("type"), "deployment-finished") {
				if tag := e.DataStr("tag"); tag != "" {
					image += ":" + tag
				}
				svc.DeployedImage = image
			}
		}
	}
	return saveProject(tx, p)
}
