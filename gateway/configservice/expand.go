package configservice

import (
	"errors"
	"maps"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// shipyardURI is the project-level resource whose content is the project's shipyard.
const shipyardURI = "shipyard.yaml"

// expandProject builds the answer for a project; the shipyard is read from its resource.
func expandProject(tx *store.Tx, p *projectRecord) (expandedProject, error) {
	var shipyard []byte
	err := store.Get(tx, bucketResources, resourceKey(level{project: p.Name}, shipyardURI), &shipyard)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return expandedProject{}, err
	}
	out := expandedProject{
		ProjectName:      p.Name,
		GitUser:          p.GitUser,
		GitRemoteURI:     p.GitRemoteURI,
		Shipyard:         string(shipyard),
		CreationDate:     p.CreationDate,
		LastEventContext: p.LastEventContext,
		Stages:           make([]expandedStage, 0, len(p.Stages)),
	}
	for _, st := range p.Stages {
		out.Stages = append(out.Stages, expandStage(st))
	}
	return out, nil
}

// expandStage builds the answer for a stage.
func expandStage(st *stageRecord) expandedStage {
	out := expandedStage{
		StageName:        st.Name,
		LastEventContext: st.LastEventContext,
		Services:         make([]expandedService, 0, len(st.Services)),
	}
	for _, svc := range st.Services {
		out.Services = append(out.Services, expandService(svc))
	}
	return out
}

// expandService builds the answer for a service of a stage.
func expandService(svc *serviceRecord) expandedService {
	return expandedService{
		ServiceName:      svc.Name,
		DeployedImage:    svc.DeployedImage,
		CreationDate:     svc.CreationDate,
		OpenApprovals:    append([]approval{}, svc.Approvals...),
		OpenRemediations: append([]remediation{}, svc.Remediations...),
		LastEventTypes:   lastEventTypes(svc),
	}
}

// lastEventTypes copies a service's last events by type; never nil.
func lastEventTypes(svc *serviceRecord) map[string]eventContext {
	out := make(map[string]eventContext, len(svc.LastEventTypes))
	maps.Copy(out, svc.LastEventTypes)
	return out
}
