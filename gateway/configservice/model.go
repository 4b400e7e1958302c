package configservice

// The JSON shapes of the API (the schemas of specs/configuration-service.yaml) and the records
// kept in the store.

// eventContext is the schema EventContext: the event that last touched a project, stage or
// service.
type eventContext struct {
	KeptnContext string `json:"keptnContext,omitempty"`
	EventID      string `json:"eventId,omitempty"`
	Time         string `json:"time,omitempty"`
}

// approval is the schema Approval, identified by its eventId.
type approval struct {
	KeptnContext string `json:"keptnContext,omitempty"`
	EventID      string `json:"eventId,omitempty"`
	Time         string `json:"time,omitempty"`
	Image        string `json:"image,omitempty"`
	Tag          string `json:"tag,omitempty"`
}

// remediation is the schema Remediation.
type remediation struct {
	KeptnContext string `json:"keptnContext,omitempty"`
	EventID      string `json:"eventId,omitempty"`
	Time         string `json:"time,omitempty"`
	Type         string `json:"type,omitempty"`
	Action       string `json:"action,omitempty"`
}

// Request bodies.

// projectBody is the schema Project. The git fields are pointers so that an update can tell
// "absent" (keep) from "" (clear).
type projectBody struct {
	ProjectName  string      `json:"projectName"`
	GitUser      *string     `json:"gitUser"`
	GitRemoteURI *string     `json:"gitRemoteURI"`
	GitToken     *string     `json:"gitToken"`
	Stages       []stageBody `json:"stages"`
}

// stageBody is the schema Stage.
type stageBody struct {
	StageName string        `json:"stageName"`
	Services  []serviceBody `json:"services"`
}

// serviceBody is the schema Service.
type serviceBody struct {
	ServiceName string `json:"serviceName"`
}

// resourceBody is the schema Resource as a request body.
type resourceBody struct {
	ResourceURI     string `json:"resourceURI"`
	ResourceContent string `json:"resourceContent"`
}

// resourcesBody is the schema ResourcesBody.
type resourcesBody struct {
	Resources []resourceBody `json:"resources"`
}

// Answers.

// expandedProject is the schema ExpandedProject; it never carries the git token.
type expandedProject struct {
	ProjectName      string          `json:"projectName"`
	GitUser          string          `json:"gitUser,omitempty"`
	GitRemoteURI     string          `json:"gitRemoteURI,omitempty"`
	Shipyard         string          `json:"shipyard,omitempty"`
	CreationDate     string          `json:"creationDate"`
	LastEventContext *eventContext   `json:"lastEventContext,omitempty"`
	Stages           []expandedStage `json:"stages"`
}

// expandedStage is the schema ExpandedStage.
type expandedStage struct {
	StageName        string            `json:"stageName"`
	LastEventContext *eventContext     `json:"lastEventContext,omitempty"`
	Services         []expandedService `json:"services"`
}

// expandedService is the schema ExpandedService.
type expandedService struct {
	ServiceName      string                  `json:"serviceName"`
	DeployedImage    string                  `json:"deployedImage,omitempty"`
	CreationDate     string                  `json:"creationDate"`
	OpenApprovals    []approval              `json:"openApprovals"`
	OpenRemediations []remediation           `json:"openRemediations"`
	LastEventTypes   map[string]eventContext `json:"lastEventTypes"`
}

// serviceWithStageInfo is the schema ExpandedServiceWithStageInfo.
type serviceWithStageInfo struct {
	ServiceName  string      `json:"serviceName"`
	CreationDate string      `json:"creationDate"`
	StageInfo    []stageInfo `json:"stageInfo"`
}

// stageInfo is the schema StageInfo.
type stageInfo struct {
	StageName      string                  `json:"stageName"`
	DeployedImage  string                  `json:"deployedImage,omitempty"`
	LastEventTypes map[string]eventContext `json:"lastEventTypes"`
}

// resourceURIOnly is an item of the schema Resources: lists carry no content.
type resourceURIOnly struct {
	ResourceURI string `json:"resourceURI"`
}

// resourceWithContent is the schema Resource as an answer.
type resourceWithContent struct {
	ResourceURI     string `json:"resourceURI"`
	ResourceContent string `json:"resourceContent"` // base64, standard encoding
}

// version is the schema Version.
type version struct {
	Version string `json:"version"`
}

// Store records.

// projectRecord is everything about a project except its resources and version: one JSON
// value per project in the bucket "projects".
type projectRecord struct {
	Seq              uint64         `json:"seq"` // creation order among projects
	Name             string         `json:"name"`
	GitUser          string         `json:"gitUser,omitempty"`
	GitRemoteURI     string         `json:"gitRemoteURI,omitempty"`
	GitToken         string         `json:"gitToken,omitempty"`
	CreationDate     string         `json:"creationDate"`
	LastEventContext *eventContext  `json:"lastEventContext,omitempty"`
	Stages           []*stageRecord `json:"stages"` // in shipyard (creation) order
}

// stageRecord is a stage of a project.
type stageRecord struct {
	Name             string           `json:"name"`
	LastEventContext *eventContext    `json:"lastEventContext,omitempty"`
	Services         []*serviceRecord `json:"services"` // in creation order
}

// serviceRecord is a service of a stage, with its open approvals and remediations.
type serviceRecord struct {
	Name           string                  `json:"name"`
	CreationDate   string                  `json:"creationDate"`
	DeployedImage  string                  `json:"deployedImage,omitempty"`
	LastEventTypes map[string]eventContext `json:"lastEventTypes,omitempty"`
	Approvals      []approval              `json:"approvals,omitempty"`    // open ones, in creation order
	Remediations   []remediation           `json:"remediations,omitempty"` // open ones, in creation order
}

// stage returns the project's stage name, or nil.
func (p *projectRecord) stage(name string) *stageRecord {
	for _, st := range p.Stages {
		if st.Name == name {
			return st
		}
	}
	return nil
}

// hasService reports whether a service of that name exists in any stage of the project.
func (p *projectRecord) hasService(name string) bool {
	for _, st := range p.Stages {
		if st.service(name) != nil {
			return true
		}
	}
	return false
}

// service returns the stage's service name, or nil.
func (st *stageRecord) service(name string) *serviceRecord {
	for _, svc := range st.Services {
		if svc.Name == name {
			return svc
		}
	}
	return nil
}
