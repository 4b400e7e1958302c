package cases

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

// This file is the catalogue: the cases of every operation of every spec document. To cover a new
// operation, add it to the spec in specs/, its request body (if any) to fixtures/requests/, and
// its cases here; the suite refuses to run while an operation has no case, and a documented status
// must have a case or an exemption (exemptions.go).
//
// A title completes "<operationId> MUST ...". Path parameters come from the world (projectName,
// stageName, serviceName, resourceURI, approvalID, keptnContext, eventType) unless Params says
// otherwise; bodies are fixtures, templates over the world.

func s(codes ...int) []int { return codes }

// recommend grades a check this project recommends beyond upstream, with the reason.
func recommend(reason string) grade.Grade {
	return grade.Grade{Level: grade.Should, Source: grade.Ours(reason)}
}

// refuseAtOnce is why the suite recommends refusing an asynchronous operation's bad request
// synchronously: upstream answers 200 before it checks anything and fails later (facts §10), so
// a MUST accepts that, provided nothing is made or changed.
// refuseUnknown is why the suite recommends refusing a request on an entity that does not exist
// where upstream documents no refusal (0.7.3 answers 200 and stores nothing).
const refuseUnknown = "a client can tell a request on a service that does not exist from one that took effect, instead of a 200 for nothing"

// lastEventTypes is why the suite recommends that a handled event show in the service's
// lastEventTypes: the spec's ExpandedService documents the map, and the events handed to
// configuration-service are its only source (upstream's view of a service is updated from them).
const lastEventTypes = "the spec's ExpandedService.lastEventTypes has no other source than the events handed to configuration-service; a view never updated from them answers a service's history as empty"

// deployedImage is why the suite recommends that a deployment-finished event set the service's
// deployedImage: the spec's ExpandedService documents it and nothing else writes it.
const deployedImage = "the spec's ExpandedService.deployedImage has no other source than the deployment-finished events handed to configuration-service, which upstream 0.7's view of a service takes it from as <image>:<tag>"

// cloudEvents02 is why the suite recommends specversion 0.2 for an event sent without one.
const cloudEvents02 = "facts §5: keptnContextExtendedCE is the CloudEvents 0.2 shape (contenttype, not 1.0's datacontenttype), and upstream's api-service sends every event on as a CloudEvents 0.2 event of contenttype application/json; an event stored as another specversion misdescribes its own attributes to the clients that read it"

// pathNamesResource: a PUT of one resource writes the resource its path names.
var pathNamesResource = grade.Grade{Level: grade.Must, Source: grade.RFCSection("RFC 9110 §9.3.4: PUT sets the state of the target resource, the one the request's path names ({resourceURI}); the body's resourceURI names no other resource to write")}

// jsonCharset: a charset parameter on application/json names the same media type.
var jsonCharset = grade.Grade{Level: grade.Must, Source: grade.RFCSection("RFC 8259 §11: application/json defines no charset parameter, and adding one has no effect on compliant recipients " +
	"(RFC 9110 §8.3.1: parameters follow the type/subtype; clients such as browsers' fetch send application/json;charset=UTF-8)")}

// emptyCredentials: the bridge's credentials are both required, and upstream refuses an empty one
// (with a 500, which serverRefusedCredentials makes a finding).
var emptyCredentials = grade.Grade{Level: grade.Must, Source: grade.Spec("configureBridge {user*, password*}: both required; upstream's api-service refuses an empty user or password and stores nothing " +
	"(a bridge behind an empty password is open to anyone)")}

// serverRefusedCredentials is the grade of a 500 for empty bridge credentials: upstream's own answer.
var serverRefusedCredentials = &grade.Grade{Level: grade.Should, Source: grade.Ours("an empty user or password is the client's error, a 4xx (RFC 9110 §15.5); " +
	"upstream's api-service refuses it with 500 \"no password provided\", which a client reads as the server failing")}

// gitTokenKept: a project's git token is a secret, which no read of the API answers.
var gitTokenKept = grade.Grade{Level: grade.Must, Source: grade.Spec("configuration-service ExpandedProject has no gitToken, and the datastore's events are read by any token holder (the bridge shows them); " +
	"upstream's mongodb-datastore blanks the git token of a project-create event before it stores it")}

// helmChart is why the suite recommends storing a new service's chart in every stage.
const helmChart = "a service created with a Helm chart (keptn onboard service --chart) is deployed from that chart in each stage of its project; upstream Keptn 0.7 (its helm-service) stores it as helm/<service>.tgz in every stage"

// createEvents is why the suite recommends that the internal create events carry the request's
// fields as given.
const createEvents = "the internal create events are how Keptn's services learn what was asked (helm-service reads a service's deploymentStrategies, the shipyard-reading services a project's shipyard from them), " +
	"and the datastore keeps them for the bridge; upstream's api-service passes the request's fields on as given"

// evaluationLabels is why the suite recommends that an evaluation's labels reach its event.
const evaluationLabels = "the labels an evaluation is asked with (keptn send event start-evaluation --labels) have no other place than its event's data.labels, where Keptn's services and the bridge read an event's labels; upstream's api-service puts them there"

// validNames is why the suite recommends refusing a project or service name Keptn cannot use.
const validNames = "Keptn names a Kubernetes namespace <project>-<stage> and Helm releases after its projects and services, so a name that is not lower case letters, digits and dashes fails later; the keptn CLI checks it before sending"

const refuseAtOnce = "a client (the keptn CLI) can report a request that cannot succeed at once, instead of a 200 for nothing"

// async are api-service's asynchronous lifecycle checks: at MUST, the documented refusal at once
// or a 200 whose effect never comes (the probes show nothing was made or changed); at SHOULD, the
// refusal at once. A nil refusal is any client error (at MUST then, any answer but a server
// error, since the probes judge the effect).
func async(c Case, refusal []int, nothing ...Probe) []Case {
	must := c
	if refusal != nil {
		must.Status = append([]int{200}, refusal...)
	}
	must.Probes = nothing
	must.Title = c.Title + ", at once or by never doing it (nothing is made or changed)"
	should := c
	should.Status, should.Any4xx = refusal, refusal == nil
	should.Title = c.Title + " at once"
	should.Grade = recommend(refuseAtOnce)
	return []Case{must, should}
}

// onSpec is a MUST on the upstream spec of an operation other than the case's own: a case that
// writes what that operation must then answer.
func onSpec(opID, what string) grade.Grade {
	op, err := Operation(opID)
	if err != nil {
		return grade.Grade{} // the catalogue's tests name the unknown operation
	}
	return specGrade(op, what)
}

// FeaturePageBounds labels the cases of a list asked for its documented maximum page size.
const FeaturePageBounds = "PageBounds"

// atMaximum is the case of a list asked for the documented maximum of its page size parameter
// (pageSize, or limit): the spec's maximum is inclusive (JSON Schema's maximum, OpenAPI 3.0), so
// a gateway whose range check leaves the bound out refuses a page a client may ask for.
func atMaximum(op string, needs Needs, param string, query map[string]string, expect ...Expectation) Case {
	most := paramMaximum(op, param)
	q := map[string]string{param: strconv.Itoa(most)}
	for k, v := range query {
		q[k] = v
	}
	return Case{Op: op, Title: fmt.Sprintf("answer 200 for the documented maximum %s of %d", param, most), Needs: needs, Query: q,
		Status: s(200), Expect: expect, Feature: FeaturePageBounds,
		Grade: onSpec(op, fmt.Sprintf("%s: an integer from 1 to %d, both included (a JSON Schema maximum is inclusive)", param, most))}
}

// byProject is getEventsByType's filter on the world's project, as clients give it.
const byProject = "data.project:{{.Project}}"

// unknownProject names a project that does not exist.
const unknownProject = "{{.Missing}}"

// apiService are the cases of specs/api-service.yaml.
func apiService() []Case {
	out := []Case{
		{Op: "auth", Title: "answer 200 to a valid token", Status: s(200)},
		{Op: "getMetadata", Title: "answer 200 with the installation's metadata", Status: s(200)},
		{Op: "getMetadata", Title: "name the installation's keptnversion in its metadata", Status: s(200),
			Expect: []Expectation{Has("/keptnversion")}, Grade: recommend("clients show and compare the installation's version from it; upstream's spec does not require it")},
		{Op: "getMetadata", Title: "name the namespace Keptn runs in in its metadata", Status: s(200),
			Expect: []Expectation{Has("/namespace")}, Grade: recommend("clients show where Keptn is installed from it; upstream's spec marks no metadata field required (facts §10)")},

		{Op: "sendEvent", Title: "accept an event and answer its new Keptn context with a websocket token", Needs: NeedsProject,
			Body: "events/sendEvent.json", Status: s(200),
			Expect: []Expectation{UUID("/keptnContext"), Has("/token")},
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"keptnContext": "{{.Response.keptnContext}}"}, Status: s(200),
				Expect: []Expectation{Eq("/totalCount", "1"), Every("/events/*/type", "{{.EventType}}"), Eq("/events/0/data/project", "{{.Project}}")}}}},
		{Op: "sendEvent", Title: "keep the Keptn context an event carries when it is a UUID", Needs: NeedsProject,
			Body:   `{"type": "{{.EventType}}", "source": "keptn-conformance", "shkeptncontext": "{{.NewContext}}", "data": {"project": "{{.Project}}"}}`,
			Status: s(200), Expect: []Expectation{Eq("/keptnContext", "{{.NewContext}}")}},
		// RFC 4122 §3: a UUID's hex digits are case-insensitive on input (upstream keeps any context
		// its UUID parser takes, upper case too).
		{Op: "sendEvent", Title: "keep the Keptn context an event carries when it is a UUID in upper case, and store the event under it", Needs: NeedsProject,
			Body:   `{"type": "{{.EventType}}", "source": "keptn-conformance", "shkeptncontext": "{{upper .NewContext}}", "data": {"project": "{{.Project}}"}}`,
			Status: s(200), Expect: []Expectation{EqFold("/keptnContext", "{{.NewContext}}")},
			Grade:  grade.Grade{Level: grade.Must, Source: grade.RFCSection("RFC 4122 §3: the hex digits of a UUID are case-insensitive on input; facts §5: POST /event keeps a UUID shkeptncontext")},
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"keptnContext": "{{.Response.keptnContext}}"}, Status: s(200), Expect: []Expectation{Eq("/totalCount", "1")}}}},
		// An event sent with the id of one stored already: api-service gives every event its own id
		// (upstream: a new UUID), so the second is stored under its own Keptn context too.
		{Op: "sendEvent", Title: "store an event that carries the id of an event stored before under the new Keptn context it answers", Needs: NeedsEvent,
			Body:   `{"type": "{{.EventType}}", "source": "keptn-conformance", "id": "{{.EventID}}", "data": {"project": "{{.Project}}", "marker": "again"}}`,
			Status: s(200), Grade: onSpec("sendEvent", "200 eventContext: the event is accepted under the Keptn context answered, where the datastore then has it"),
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"keptnContext": "{{.Response.keptnContext}}"}, Status: s(200),
				Expect: []Expectation{Eq("/totalCount", "1"), Eq("/events/0/data/marker", "again")}}}},
		{Op: "sendEvent", Title: "answer a UUID Keptn context for an event whose shkeptncontext is not a UUID, and store the event under it", Needs: NeedsProject,
			Body:   `{"type": "{{.EventType}}", "source": "keptn-conformance", "shkeptncontext": "keptn-conformance", "data": {"project": "{{.Project}}"}}`,
			Status: s(200), Expect: []Expectation{UUID("/keptnContext")},
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"project": "{{.Project}}", "type": "{{.EventType}}"}, Status: s(200),
				Expect: []Expectation{Eq("/totalCount", "1"), Eq("/events/0/shkeptncontext", "{{.Response.keptnContext}}")}}}},
		{Op: "sendEvent", Title: "accept an event sent as application/cloudevents+json", Needs: NeedsProject,
			Body: "events/sendEvent.json", Header: map[string]string{"Content-Type": "application/cloudevents+json"}, Status: s(200),
			Expect: []Expectation{UUID("/keptnContext")}},
		// The shape is CloudEvents 0.2's (facts §5: contenttype, not 1.0's datacontenttype), and
		// upstream's api-service sends every event on as a CloudEvents 0.2 event.
		{Op: "sendEvent", Title: "accept an event sent as application/json; charset=utf-8", Needs: NeedsProject,
			Body: "events/sendEvent.json", Header: map[string]string{"Content-Type": "application/json; charset=utf-8"}, Status: s(200), Grade: jsonCharset,
			Expect: []Expectation{Has("/keptnContext")}},
		{Op: "sendEvent", Title: "store an event sent without a specversion and contenttype as the CloudEvents 0.2 event of JSON data its shape is (specversion 0.2, contenttype application/json)", Needs: NeedsProject,
			Body:   `{"type": "{{.EventType}}", "source": "keptn-conformance", "data": {"project": "{{.Project}}"}}`,
			Status: s(200), Grade: recommend(cloudEvents02),
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"keptnContext": "{{.Response.keptnContext}}"}, Status: s(200),
				Expect: []Expectation{Eq("/totalCount", "1"), Eq("/events/0/specversion", "0.2"), Eq("/events/0/contenttype", "application/json")}}}},
		// A later event of another type in the world's event's context: getEvent tells them apart.
		{Op: "sendEvent", Title: "keep an event apart from a later one of another type in its Keptn context: getEvent answers the type asked for, and 404 for a type the context has none of", Needs: NeedsEvent,
			Body:   `{"type": "{{.EventType}}.other", "source": "keptn-conformance", "shkeptncontext": "{{.EventContext}}", "data": {"project": "{{.Project}}"}}`,
			Status: s(200), Grade: onSpec("getEvent", "the latest event of the type asked for in the Keptn context (both parameters required); 404 when the context has no event of that type"),
			Probes: []Probe{
				{Op: "getEvents", Query: map[string]string{"keptnContext": "{{.EventContext}}", "type": "{{.EventType}}.other"}, Status: s(200), Expect: []Expectation{Eq("/totalCount", "1")}},
				{Op: "getEvent", Query: map[string]string{"keptnContext": "{{.EventContext}}", "type": "{{.EventType}}"}, Status: s(200),
					Expect: []Expectation{Eq("/id", "{{.EventID}}"), Eq("/type", "{{.EventType}}")}},
				{Op: "getEvent", Query: map[string]string{"keptnContext": "{{.EventContext}}", "type": "{{.EventType}}.absent"}, Status: s(404)}}},

		{Op: "getEvent", Title: "answer 200 with the latest event of a type in a Keptn context", Needs: NeedsEvent,
			Query: map[string]string{"keptnContext": "{{.EventContext}}", "type": "{{.EventType}}"}, Status: s(200),
			Expect: []Expectation{Eq("/id", "{{.EventID}}"), Eq("/type", "{{.EventType}}"), Eq("/shkeptncontext", "{{.EventContext}}")}},
		{Op: "getEvent", Title: "answer the latest of two matching events", Needs: NeedsEventPair,
			Query: map[string]string{"keptnContext": "{{.NewContext}}", "type": "{{.EventType}}"}, Status: s(200),
			Expect: []Expectation{Eq("/data/marker", "second")}},
		{Op: "getEvent", Title: "answer 404 when no event matches", Needs: NeedsEvent,
			Query: map[string]string{"keptnContext": "{{.NewContext}}", "type": "{{.EventType}}"}, Status: s(404)},
		{Op: "getEvent", Title: "answer a client error when the required type is missing", Needs: NeedsEvent,
			Query: map[string]string{"keptnContext": "{{.EventContext}}"}, Any4xx: true, Negative: true},

		{Op: "createProject", Title: "create a project with the stages of its shipyard", Needs: MakesProject,
			Body: "requests/createProject.json", Status: s(200), Expect: []Expectation{Has("/keptnContext"), Has("/token")},
			Probes: []Probe{
				{Op: "getProject", Status: s(200), Expect: []Expectation{Eq("/projectName", "{{.Project}}"), Len("/stages", 2),
					Eq("/stages/0/stageName", "{{.Stage}}"), Eq("/stages/1/stageName", "{{.OtherStage}}")}},
				{Op: "getProjectResource", Params: map[string]string{"resourceURI": "shipyard.yaml"}, Status: s(200),
					Expect: []Expectation{Eq("/resourceContent", "{{b64 .Shipyard}}")}},
				{Op: "getEvents", Query: map[string]string{"keptnContext": "{{.Response.keptnContext}}"}, Status: s(200),
					Expect: []Expectation{Includes("/events/*/data/project", "{{.Project}}")}},
			}},
	}
	// No git token: the git user and remote are recorded without a push to the remote.
	out = append(out, Case{Op: "createProject", Title: "create a project with the git user and remote it names, as getProject answers them", Needs: MakesProject,
		Body:   `{"name": "{{.Project}}", "shipyard": "{{b64 .Shipyard}}", "gitUser": "keptn-conformance", "gitRemoteURL": "https://git.example.com/{{.Project}}.git"}`,
		Status: s(200), Expect: []Expectation{Has("/keptnContext")},
		Probes: []Probe{{Op: "getProject", Status: s(200), Expect: []Expectation{Eq("/gitUser", "keptn-conformance"), Eq("/gitRemoteURI", "https://git.example.com/{{.Project}}.git")}}}})
	// Upstream's specs give names no pattern, and 0.7.3 makes a project or service of any name it
	// is given (facts §10): refusing one is recommended, never required.
	out = append(out, Case{Op: "createProject", Title: "refuse a project name that is not lower case letters, digits and dashes with 400 at once",
		Body: `{"name": "Not_A_Valid_Name", "shipyard": "{{b64 .Shipyard}}"}`, Status: s(400), Grade: recommend(validNames)})
	out = append(out, async(Case{Op: "createProject", Title: "refuse a shipyard that is not base64-encoded YAML with 400", Needs: MakesProject,
		Body: `{"name": "{{.Project}}", "shipyard": "not base64!"}`}, s(400),
		Probe{Op: "getProject", Status: s(404)})...)
	// The second create names another shipyard: the probe shows the project kept its own.
	out = append(out, async(Case{Op: "createProject", Title: "refuse a project that exists with a client error", Needs: NeedsProject,
		Body: `{"name": "{{.Project}}", "shipyard": "{{b64 "stages:\n  - name: \"other\"\n"}}"}`}, nil,
		Probe{Op: "getProject", Status: s(200), Expect: []Expectation{Len("/stages", 2), Eq("/stages/0/stageName", "{{.Stage}}")}})...)
	out = append(out, Case{Op: "createProject", Title: "record the project-create event with the shipyard as it was sent (base64)", Needs: MakesProject,
		Body: "requests/createProject.json", Status: s(200), Grade: recommend(createEvents),
		Probes: []Probe{{Op: "getEvents", Query: map[string]string{"project": "{{.Project}}", "type": "sh.keptn.internal.event.project.create"}, Status: s(200),
			Expect: []Expectation{Eq("/events/0/data/project", "{{.Project}}"), Eq("/events/0/data/shipyard", "{{b64 .Shipyard}}")}}}})
	out = append(out, Case{Op: "createProject", Title: "keep the project's git token out of its events: the project-create event the datastore answers does not carry it", Needs: MakesProject,
		Body:   `{"name": "{{.Project}}", "shipyard": "{{b64 .Shipyard}}", "gitUser": "keptn-conformance", "gitToken": "secret-{{.NewID}}", "gitRemoteURL": "https://git.example.com/{{.Project}}.git"}`,
		Status: s(200), Grade: gitTokenKept,
		Probes: []Probe{{Op: "getEvents", Query: map[string]string{"project": "{{.Project}}", "type": "sh.keptn.internal.event.project.create"}, Status: s(200),
			Expect: []Expectation{Eq("/events/0/data/project", "{{.Project}}"), NotValue("/events/*/data/gitToken", "secret-{{.NewID}}")}}}})
	// Without a remote: with one, upstream's configuration-service clones it and refuses the
	// project when it cannot (the suite's remote is not reachable), so getProject would never answer.
	out = append(out, Case{Op: "createProject", Title: "keep the project's git token out of getProject's answer", Needs: MakesProject,
		Body:   `{"name": "{{.Project}}", "shipyard": "{{b64 .Shipyard}}", "gitUser": "keptn-conformance", "gitToken": "secret-{{.NewID}}"}`,
		Status: s(200), Grade: gitTokenKept,
		Probes: []Probe{{Op: "getProject", Status: s(200), Expect: []Expectation{Eq("/projectName", "{{.Project}}"), Absent("/gitToken")}}}})
	out = append(out, Case{Op: "deleteProject", Title: "delete a project", Needs: NeedsService, Status: s(200), Expect: []Expectation{Has("/keptnContext")},
		Probes: []Probe{{Op: "getProject", Status: s(404)}}})
	out = append(out, Case{Op: "deleteProject", Title: "delete the project's events too, so that a project made again under its name starts without them", Needs: NeedsProject | NeedsEvent,
		Status: s(200), Probes: []Probe{{Op: "getProject", Status: s(404)},
			{Op: "getEvents", Query: map[string]string{"project": "{{.Project}}", "type": "{{.EventType}}"}, Status: s(200), Expect: []Expectation{Zero("/totalCount")}}},
		Grade: recommend("a project made again under a deleted one's name would show the deleted project's events as its own")})
	out = append(out, async(Case{Op: "deleteProject", Title: "refuse to delete an unknown project with 400 or 404",
		Params: map[string]string{"projectName": unknownProject}}, s(400, 404),
		Probe{Op: "getProject", Params: map[string]string{"projectName": unknownProject}, Status: s(404)})...)
	out = append(out, async(Case{Op: "deleteProject", Title: "refuse a project name that is not valid with 400", Needs: NeedsProject,
		Params: map[string]string{"projectName": "Not_Valid"}}, s(400),
		Probe{Op: "getProject", Status: s(200)})...)
	out = append(out, Case{Op: "createService", Title: "create a service in every stage of the project", Needs: NeedsProject,
		Body: "requests/createService.json", Status: s(200), Expect: []Expectation{Has("/keptnContext")},
		Probes: []Probe{{Op: "getProjectService", Status: s(200), Expect: []Expectation{Eq("/serviceName", "{{.Service}}"),
			Includes("/stageInfo/*/stageName", "{{.Stage}}"), Includes("/stageInfo/*/stageName", "{{.OtherStage}}")}}}})
	out = append(out, Case{Op: "createService", Title: "record the service-create event with the deploymentStrategies it was asked for, one per stage", Needs: NeedsProject,
		Body: "requests/createService.json", Status: s(200), Grade: recommend(createEvents),
		Probes: []Probe{{Op: "getEvents", Query: map[string]string{"project": "{{.Project}}", "type": "sh.keptn.internal.event.service.create"}, Status: s(200),
			Expect: []Expectation{Eq("/events/0/data/service", "{{.Service}}"), Has("/events/0/data/deploymentStrategies/{{.Stage}}"), Has("/events/0/data/deploymentStrategies/{{.OtherStage}}")}}}})
	chart := map[string]string{"resourceURI": "helm/{{.Service}}.tgz"}
	wantChart := []Expectation{Eq("/resourceContent", `{{b64 "a Helm chart archive, as far as the gateway is concerned"}}`)}
	out = append(out, Case{Op: "createService", Title: "store the Helm chart it is created with as helm/<service>.tgz in every stage", Needs: NeedsProject,
		Body: "requests/createService.json", Status: s(200), Grade: recommend(helmChart),
		Probes: []Probe{{Op: "getServiceResource", Params: chart, Status: s(200), Expect: wantChart},
			{Op: "getServiceResource", Params: map[string]string{"resourceURI": "helm/{{.Service}}.tgz", "stageName": "{{.OtherStage}}"}, Status: s(200), Expect: wantChart}}})
	// With two services, each is answered by its own name with its own stages (upstream 0.7.3's
	// getProjectService mixes the services' stage info, or fails, once a project has several).
	other := map[string]string{"serviceName": "{{.NewName}}"}
	out = append(out, Case{Op: "createService", Title: "create a second service beside the first, each answered by its name with its own stages", Needs: NeedsService,
		Body: `{"serviceName": "{{.NewName}}"}`, Status: s(200), Expect: []Expectation{Has("/keptnContext")},
		Grade: onSpec("getProjectService", "200 ExpandedServiceWithStageInfo: the service named in the path, with the stages it is in"),
		Probes: []Probe{
			{Op: "getProjectService", Params: other, Status: s(200), Expect: []Expectation{Eq("/serviceName", "{{.NewName}}"), Len("/stageInfo", 2)}},
			{Op: "getProjectService", Status: s(200), Expect: []Expectation{Eq("/serviceName", "{{.Service}}"), Len("/stageInfo", 2)}},
			{Op: "getProjectServices", Status: s(200), Expect: []Expectation{Eq("/totalCount", "2"), Includes("/services/*/serviceName", "{{.NewName}}")}},
		}})
	out = append(out, Case{Op: "createService", Title: "list a second service after the first (getProjectServices and getStageServices in the order they were made)", Needs: NeedsService,
		Body: `{"serviceName": "{{.NewName}}"}`, Status: s(200), Grade: recommend("clients list a project's services as upstream does, in the order they were made (0.7.3 walks its stages' services in that order)"),
		Probes: []Probe{{Op: "getProjectServices", Status: s(200), Expect: []Expectation{Eq("/totalCount", "2"), Eq("/services/0/serviceName", "{{.Service}}"), Eq("/services/1/serviceName", "{{.NewName}}")}},
			{Op: "getStageServices", Status: s(200), Expect: []Expectation{Eq("/totalCount", "2"), Eq("/services/0/serviceName", "{{.Service}}"), Eq("/services/1/serviceName", "{{.NewName}}")}}}})
	out = append(out, Case{Op: "createService", Title: "refuse a service name that is not lower case letters, digits and dashes with 400 at once", Needs: NeedsProject,
		Body: `{"serviceName": "Not_Valid"}`, Status: s(400), Grade: recommend(validNames)})
	out = append(out, async(Case{Op: "createService", Title: "refuse a service in an unknown project with 400 or 404",
		Params: map[string]string{"projectName": unknownProject}, Body: "requests/createService.json"}, s(400, 404),
		Probe{Op: "getProject", Params: map[string]string{"projectName": unknownProject}, Status: s(404)})...)
	out = append(out, Case{Op: "deleteService", Title: "delete a service from every stage", Needs: NeedsService, Status: s(200), Expect: []Expectation{Has("/keptnContext")},
		Probes: []Probe{{Op: "getProjectService", Status: s(404)}}})
	out = append(out, async(Case{Op: "deleteService", Title: "refuse to delete an unknown service with 400 or 404", Needs: NeedsService,
		Params: map[string]string{"serviceName": "{{.Missing}}"}}, s(400, 404),
		Probe{Op: "getProjectService", Status: s(200)})...)
	out = append(out, async(Case{Op: "deleteService", Title: "refuse a service name that is not valid with 400", Needs: NeedsService,
		Params: map[string]string{"serviceName": "Not_Valid"}}, s(400),
		Probe{Op: "getProjectService", Status: s(200)})...)
	return append(out, []Case{
		{Op: "triggerEvaluation", Title: "start an evaluation and record its start-evaluation event", Needs: NeedsService,
			Body: "requests/triggerEvaluation.json", Status: s(200), Expect: []Expectation{Has("/keptnContext")},
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"keptnContext": "{{.Response.keptnContext}}"}, Status: s(200),
				Expect: []Expectation{Includes("/events/*/type", "sh.keptn.event.start-evaluation"), Every("/events/*/data/service", "{{.Service}}")}}}},
		// The fixture asks with labels {"suite": "keptn-conformance", "buildId": "1"}.
		{Op: "triggerEvaluation", Title: "carry the evaluation's labels into its start-evaluation event (data.labels)", Needs: NeedsService,
			Body: "requests/triggerEvaluation.json", Status: s(200), Grade: recommend(evaluationLabels),
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"keptnContext": "{{.Response.keptnContext}}"}, Status: s(200),
				Expect: []Expectation{Includes("/events/*/data/labels/buildId", "1")}}}},
		{Op: "triggerEvaluation", Title: "start an evaluation of the window its start and end name without a time zone, as the keptn CLI sends them", Needs: NeedsService,
			Body: `{"start": "2020-08-01T10:00:00", "end": "2020-08-01T10:05:00"}`, Status: s(200), Expect: []Expectation{Has("/keptnContext")},
			Grade: grade.Grade{Level: grade.Must, Source: grade.CLI("keptn send event start-evaluation --start --end: both sent as 2006-01-02T15:04:05, without a zone, the form upstream's api-service reads")},
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"keptnContext": "{{.Response.keptnContext}}"}, Status: s(200),
				Expect: []Expectation{Includes("/events/*/type", "sh.keptn.event.start-evaluation"), Every("/events/*/data/service", "{{.Service}}")}}}},
		{Op: "triggerEvaluation", Title: "answer 400 for an evaluation given both an end and a timeframe", Needs: NeedsService,
			Body: `{"start": "2020-08-01T10:00:00", "end": "2020-08-01T10:10:00", "timeframe": "5m"}`, Status: s(400),
			Grade: recommend("an end and a timeframe each say where the window ends, and one of them would be ignored; upstream's api-service refuses both together (\"You can not use --end together with --timeframe\")")},
		{Op: "triggerEvaluation", Title: "answer 400 for a timeframe that is not a duration", Needs: NeedsService,
			Body: `{"timeframe": "soon"}`, Status: s(400)},
		{Op: "triggerEvaluation", Title: "answer 400 for an evaluation whose end comes before its start", Needs: NeedsService,
			Body: `{"start": "2020-08-01T10:05:00", "end": "2020-08-01T10:00:00"}`, Status: s(400),
			Grade: onSpec("triggerEvaluation", "400: a window that ends before it starts is no evaluation (upstream's api-service refuses an end less than a minute after the start)")},
		{Op: "triggerEvaluation", Title: "answer 400 for an evaluation whose end is its start", Needs: NeedsService,
			Body: `{"start": "2020-08-01T10:00:00", "end": "2020-08-01T10:00:00"}`, Status: s(400),
			Grade: recommend("an evaluation of no time has no data to evaluate; upstream's api-service refuses an end less than a minute after the start")},
		{Op: "triggerEvaluation", Title: "refuse an evaluation in an unknown stage with 400 or 404", Needs: NeedsService,
			Params: map[string]string{"stageName": "{{.Missing}}"}, Body: "requests/triggerEvaluation.json", Status: s(400, 404)},

		{Op: "triggerEvaluation", Title: "refuse an evaluation of an unknown service in a known stage with 400 or 404", Needs: NeedsService,
			Params: map[string]string{"serviceName": "{{.Missing}}"}, Body: "requests/triggerEvaluation.json", Status: s(400, 404), Grade: recommend(refuseUnknown)},

		{Op: "configureBridge", Title: "store the bridge credentials", Serial: true, Body: "requests/configureBridge.json", Status: s(200),
			Probes: []Probe{{Op: "getBridgeConfig", Status: s(200), Expect: []Expectation{Eq("/user", "{{.BridgeUser}}")}}}},
		{Op: "configureBridge", Title: "refuse an empty password, keeping the stored credentials (and SHOULD with a client error)", Serial: true, Needs: NeedsBridge,
			Body: `{"user": "{{.NewName}}", "password": ""}`, Any4xx: true, ServerRefusal: serverRefusedCredentials, Grade: emptyCredentials,
			Probes: []Probe{{Op: "getBridgeConfig", Status: s(200), Expect: []Expectation{Eq("/user", "{{.BridgeUser}}"), Eq("/password", "{{.BridgePassword}}")}}}},
		{Op: "configureBridge", Title: "refuse an empty user, keeping the stored credentials (and SHOULD with a client error)", Serial: true, Needs: NeedsBridge,
			Body: `{"user": "", "password": "{{.NewName}}"}`, Any4xx: true, ServerRefusal: serverRefusedCredentials, Grade: emptyCredentials,
			Probes: []Probe{{Op: "getBridgeConfig", Status: s(200), Expect: []Expectation{Eq("/user", "{{.BridgeUser}}"), Eq("/password", "{{.BridgePassword}}")}}}},
		{Op: "getBridgeConfig", Title: "answer 200 with the stored bridge credentials", Serial: true, Needs: NeedsBridge, Status: s(200),
			Expect: []Expectation{Eq("/user", "{{.BridgeUser}}"), Eq("/password", "{{.BridgePassword}}")}},
	}...)
}

// level is one of the four places resources live.
type level struct {
	name    string // as in the operationIds
	needs   Needs
	missing map[string]string // path parameters that name a parent that does not exist
}

var levels = []level{
	{"Project", NeedsService, map[string]string{"projectName": unknownProject}},
	{"Stage", NeedsService, map[string]string{"stageName": "{{.Missing}}"}},
	{"Service", NeedsService, map[string]string{"serviceName": "{{.Missing}}"}},
	{"ServiceDefault", NeedsService, map[string]string{"serviceName": "{{.Missing}}"}},
}

// resourceCases are the cases of the resource operations at one level.
func resourceCases(l level) []Case {
	n := l.name
	newURI := map[string]string{"resourceURI": "{{.NewResourceURI}}"}
	return []Case{
		{Op: "get" + n + "Resources", Title: "list the resources (URIs)", Needs: NeedsResources, Status: s(200),
			Expect: []Expectation{IncludesURI("/resources/*/resourceURI", "{{.ResourceURI}}")}},
		{Op: "get" + n + "Resources", Title: "answer 404 when the parent does not exist", Needs: l.needs, Params: l.missing, Status: s(404)},
		{Op: "get" + n + "Resources", Title: "answer 400 for a page size of 0", Needs: l.needs, Query: map[string]string{"pageSize": "0"}, Status: s(400), Negative: true},
		atMaximum("get"+n+"Resources", NeedsResources, "pageSize", nil, IncludesURI("/resources/*/resourceURI", "{{.ResourceURI}}")),

		{Op: "post" + n + "Resources", Title: "add resources and answer the new version", Needs: l.needs, Body: "requests/resources.json", Status: s(201),
			Expect: []Expectation{Has("/version")},
			Probes: []Probe{{Op: "get" + n + "Resource", Params: newURI, Status: s(200), Expect: []Expectation{Eq("/resourceContent", `{{b64 "added by keptn-conformance"}}`)}}}},
		{Op: "post" + n + "Resources", Title: "add resources sent as application/json; charset=utf-8", Needs: l.needs, Body: "requests/resources.json",
			Header: map[string]string{"Content-Type": "application/json; charset=utf-8"}, Status: s(201), Grade: jsonCharset,
			Probes: []Probe{{Op: "get" + n + "Resource", Params: newURI, Status: s(200)}}},
		{Op: "post" + n + "Resources", Title: "answer 400 when the parent does not exist", Needs: l.needs, Params: l.missing, Body: "requests/resources.json", Status: s(400)},
		{Op: "put" + n + "Resources", Title: "add or replace resources and answer the new version", Needs: NeedsResources, Body: "requests/resources.json", Status: s(201),
			Expect: []Expectation{Has("/version")},
			Probes: []Probe{{Op: "get" + n + "Resource", Params: newURI, Status: s(200), Expect: []Expectation{Eq("/resourceContent", `{{b64 "added by keptn-conformance"}}`)}}}},
		{Op: "put" + n + "Resources", Title: "write the resources it lists, leaving the level's others as they were", Needs: NeedsResources, Body: "requests/resources.json", Status: s(201),
			Grade:  onSpec("put"+n+"Resources", "201: it adds or replaces the resources it lists (upstream writes those files only)"),
			Probes: []Probe{{Op: "get" + n + "Resource", Status: s(200), Expect: []Expectation{Eq("/resourceContent", "{{b64 .ResourceContent}}")}}}},
		{Op: "post" + n + "Resources", Title: "replace the content of a resource it lists that exists (keptn add-resource of a changed file)", Needs: NeedsResources,
			Body: `{"resources": [{"resourceURI": "{{.ResourceURI}}", "resourceContent": "{{b64 "added again by keptn-conformance"}}"}]}`, Status: s(201),
			Grade:  onSpec("post"+n+"Resources", "201: it writes the resources it lists (upstream writes each file over what was there; keptn add-resource posts)"),
			Probes: []Probe{{Op: "get" + n + "Resource", Status: s(200), Expect: []Expectation{Eq("/resourceContent", `{{b64 "added again by keptn-conformance"}}`)}}}},
		{Op: "put" + n + "Resources", Title: "answer 400 when the parent does not exist", Needs: l.needs, Params: l.missing, Body: "requests/resources.json", Status: s(400)},

		{Op: "get" + n + "Resource", Title: "answer the resource with its base64 content, its URI URL-encoded in the path", Needs: NeedsResources, Status: s(200),
			Expect: []Expectation{Eq("/resourceURI", "{{.ResourceURI}}"), Eq("/resourceContent", "{{b64 .ResourceContent}}")}},
		{Op: "get" + n + "Resource", Title: "answer 404 for an unknown resource", Needs: NeedsResources, Params: newURI, Status: s(404)},
		{Op: "put" + n + "Resource", Title: "replace a resource and answer the new version", Needs: NeedsResources, Body: "requests/resource.json", Status: s(201),
			Expect: []Expectation{Has("/version")},
			Probes: []Probe{{Op: "get" + n + "Resource", Status: s(200), Expect: []Expectation{Eq("/resourceContent", `{{b64 "changed by keptn-conformance"}}`)}}}},
		{Op: "put" + n + "Resource", Title: "answer a new version for each write that changes the resource", Needs: NeedsResources, Body: "requests/resource.json", Status: s(201),
			Expect: []Expectation{Has("/version")},
			Grade:  onSpec("put"+n+"Resource", "201 Version: the version the write made (upstream answers the commit it made)"),
			Probes: []Probe{{Op: "put" + n + "Resource", Body: `{"resourceURI": "{{.ResourceURI}}", "resourceContent": "{{b64 "changed again by keptn-conformance"}}"}`, Status: s(201),
				Expect: []Expectation{Has("/version"), Ne("/version", "{{.Response.version}}")}}}},
		{Op: "put" + n + "Resource", Title: "answer 400 when the parent does not exist", Needs: l.needs, Params: l.missing, Body: "requests/resource.json", Status: s(400)},
		{Op: "put" + n + "Resource", Title: "write the resource its path names, whatever resourceURI its body carries", Needs: l.needs, Params: newURI,
			Body: `{"resourceURI": "{{.NewName}}.txt", "resourceContent": "{{b64 "changed by keptn-conformance"}}"}`, Status: s(201), Grade: pathNamesResource,
			Probes: []Probe{{Op: "get" + n + "Resource", Params: newURI, Status: s(200), Expect: []Expectation{Eq("/resourceContent", `{{b64 "changed by keptn-conformance"}}`)}},
				{Op: "get" + n + "Resource", Params: map[string]string{"resourceURI": "{{.NewName}}.txt"}, Status: s(404)}}},
		{Op: "delete" + n + "Resource", Title: "delete a resource", Needs: NeedsResources, Status: s(204),
			Probes: []Probe{{Op: "get" + n + "Resource", Status: s(404)}}},
		{Op: "delete" + n + "Resource", Title: "answer 400 for an unknown resource", Needs: NeedsResources, Params: newURI, Status: s(400)},
		// A resource whose URI is a proper prefix of another's: deleting it leaves the other.
		{Op: "delete" + n + "Resource", Title: "delete no resource whose URI only begins with the URI it names", Needs: NeedsPrefixResource,
			Params: map[string]string{"resourceURI": "{{.PrefixURI}}"}, Status: s(204),
			Grade:  onSpec("delete"+n+"Resource", "204: it deletes the resource its URI names (upstream removes that one file)"),
			Probes: []Probe{{Op: "get" + n + "Resource", Status: s(200), Expect: []Expectation{Eq("/resourceContent", "{{b64 .ResourceContent}}")}}}},
		{Op: "post" + n + "Resources", Title: "add a resource with empty content", Needs: l.needs,
			Body: `{"resources": [{"resourceURI": "{{.NewResourceURI}}", "resourceContent": ""}]}`, Status: s(201),
			Grade:  onSpec("post"+n+"Resources", "201: resourceContent is optional, and empty base64 is the empty file (upstream writes it)"),
			Probes: []Probe{{Op: "get" + n + "Resource", Params: newURI, Status: s(200), Expect: []Expectation{EqOrAbsent("/resourceContent", "")}}}},
		// URIs are file paths: case tells two apart (upstream keeps them as files on Linux).
		{Op: "put" + n + "Resource", Title: "keep two resources whose URIs differ only in case apart", Needs: NeedsResources,
			Params: map[string]string{"resourceURI": "{{upper .ResourceURI}}"}, Body: "requests/resource.json", Status: s(201),
			Grade: onSpec("put"+n+"Resource", "201: it writes the resource its URI names, a file path, in which case counts (upstream keeps resources as files)"),
			Probes: []Probe{{Op: "get" + n + "Resource", Status: s(200), Expect: []Expectation{Eq("/resourceContent", "{{b64 .ResourceContent}}")}},
				{Op: "get" + n + "Resource", Params: map[string]string{"resourceURI": "{{upper .ResourceURI}}"}, Status: s(200), Expect: []Expectation{Eq("/resourceContent", `{{b64 "changed by keptn-conformance"}}`)}}}},
	}
}

// configurationService are the cases of specs/configuration-service.yaml.
func configurationService() []Case {
	out := []Case{
		{Op: "getProjects", Title: "list projects in the paged envelope", Needs: NeedsProject, Status: s(200),
			Expect: []Expectation{Has("/totalCount"), Has("/projects/0/projectName")}},
		{Op: "getProjects", Title: "page: a page size of 1 gives one project", Needs: NeedsService,
			Query: map[string]string{"pageSize": "1"}, Status: s(200), Expect: []Expectation{Len("/projects", 1)}},
		{Op: "getProjects", Title: "answer 400 for a page size of 0", Query: map[string]string{"pageSize": "0"}, Status: s(400), Negative: true},
		atMaximum("getProjects", NeedsProject, "pageSize", nil),
		{Op: "getProjects", Title: "answer a client error for a disableUpstreamSync that is no boolean", Query: map[string]string{"disableUpstreamSync": "maybe"}, Any4xx: true, Negative: true,
			Grade: recommend("disableUpstreamSync is a boolean (specs); upstream's framework refuses another value (422), and a gateway taking it silently hides a client's typo")},
		// Upstream's Project has stages, but nothing says an internal create makes them (0.7.3's
		// does not: shipyard-service then creates each stage): at MUST the project, at SHOULD
		// its stages too.
		{Op: "createProjectInternal", Title: "create a project", Needs: MakesProject, Body: "requests/createProjectInternal.json", Status: s(204),
			Probes: []Probe{{Op: "getProject", Status: s(200), Expect: []Expectation{Eq("/projectName", "{{.Project}}")}}}},
		{Op: "createProjectInternal", Title: "create a project with the stages it names", Needs: MakesProject, Body: "requests/createProjectInternal.json", Status: s(204),
			Grade:  recommend("a project posted with its stages and answered 204 is expected to have them: a client otherwise has to create each stage itself"),
			Probes: []Probe{{Op: "getStages", Status: s(200), Expect: []Expectation{Eq("/totalCount", "2"), Eq("/stages/0/stageName", "{{.Stage}}")}}}},
		{Op: "createProjectInternal", Title: "create a project with the git user and remote it names, as getProject answers them", Needs: MakesProject,
			Body: "requests/createProjectInternal.json", Status: s(204),
			Probes: []Probe{{Op: "getProject", Status: s(200), Expect: []Expectation{Eq("/gitUser", "keptn-conformance"), Eq("/gitRemoteURI", "https://git.example.com/{{.Project}}.git")}}}},
		{Op: "createProjectInternal", Title: "answer 400 for a project that exists", Needs: NeedsProject, Body: "requests/createProjectInternal.json", Status: s(400)},

		{Op: "getProject", Title: "answer the project with its stages and services, never its git token", Needs: NeedsService, Status: s(200),
			Expect: []Expectation{Eq("/projectName", "{{.Project}}"), Has("/creationDate"), Eq("/stages/0/stageName", "{{.Stage}}"),
				Eq("/stages/1/stageName", "{{.OtherStage}}"), Every("/stages/*/services/*/serviceName", "{{.Service}}"), Absent("/gitToken")}},
		// The field is optional, and 0.7.3 fills it only when shipyard.yaml is PUT (its
		// shipyard-service POSTs it): recommended.
		{Op: "getProject", Title: "answer the project's shipyard", Needs: NeedsService, Status: s(200), Expect: []Expectation{Contains("/shipyard", "{{.OtherStage}}")},
			Grade: recommend("a client (the bridge) shows a project's stages from its shipyard without fetching the resource")},
		{Op: "getProject", Title: "answer 404 for an unknown project", Params: map[string]string{"projectName": unknownProject}, Status: s(404)},
		// Upstream 0.7.3 refuses an update without git credentials and a remote it can push to
		// (400, documented); the fixture has no token: at MUST either answer, the update itself
		// recommended.
		{Op: "updateProjectInternal", Title: "answer a project's git settings with 204 or 400", Needs: NeedsProject, Body: "requests/updateProjectInternal.json", Status: s(204, 400)},
		{Op: "updateProjectInternal", Title: "update a project's git settings, and keep its stages and their services", Needs: NeedsService, Body: "requests/updateProjectInternal.json", Status: s(204),
			Grade: recommend("the git user and remote a client sets are the ones answered, a git remote is not needed to record them; upstream's update changes the git settings alone, the stages and services having operations of their own"),
			Probes: []Probe{{Op: "getProject", Status: s(200), Expect: []Expectation{Eq("/gitUser", "keptn-conformance-updated"), Len("/stages", 2)}},
				{Op: "getStageService", Status: s(200)}}},
		{Op: "updateProjectInternal", Title: "answer 400 for an unknown project", Params: map[string]string{"projectName": unknownProject},
			Body: "requests/updateProjectInternal.json", Status: s(400)},
		{Op: "deleteProjectInternal", Title: "delete a project", Needs: NeedsProject, Status: s(204), Probes: []Probe{{Op: "getProject", Status: s(404)}}},
		// Upstream 0.7.3 deletes what is there and answers an unknown project 204 (a delete's
		// documented answer): at MUST either, and nothing made; the 400 is recommended.
		{Op: "deleteProjectInternal", Title: "answer an unknown project with 400 or 204, making nothing", Params: map[string]string{"projectName": unknownProject}, Status: s(204, 400),
			Probes: []Probe{{Op: "getProject", Params: map[string]string{"projectName": unknownProject}, Status: s(404)}}},
		{Op: "deleteProjectInternal", Title: "answer 400 for an unknown project", Params: map[string]string{"projectName": unknownProject}, Status: s(400),
			Grade: recommend("a client is told that the project it names does not exist (the documented 400), not that it was deleted")},

		{Op: "getProjectServices", Title: "list the project's services with their stages", Needs: NeedsService, Status: s(200),
			Expect: []Expectation{Eq("/totalCount", "1"), Eq("/services/0/serviceName", "{{.Service}}"), Includes("/services/0/stageInfo/*/stageName", "{{.OtherStage}}")}},
		{Op: "getProjectServices", Title: "answer 404 for an unknown project", Params: map[string]string{"projectName": unknownProject}, Status: s(404)},
		{Op: "getProjectServices", Title: "answer 400 for a page size of 0", Needs: NeedsProject, Query: map[string]string{"pageSize": "0"}, Status: s(400), Negative: true},
		atMaximum("getProjectServices", NeedsService, "pageSize", nil, Includes("/services/*/serviceName", "{{.Service}}")),
		{Op: "getProjectService", Title: "answer the service with every stage it is in", Needs: NeedsService, Status: s(200),
			Expect: []Expectation{Eq("/serviceName", "{{.Service}}"), Len("/stageInfo", 2)}},
		{Op: "getProjectService", Title: "answer 404 for an unknown service", Needs: NeedsProject, Params: map[string]string{"serviceName": "{{.Missing}}"}, Status: s(404)},

		{Op: "getStages", Title: "list the project's stages in shipyard order", Needs: NeedsProject, Status: s(200),
			Expect: []Expectation{Eq("/totalCount", "2"), Eq("/stages/0/stageName", "{{.Stage}}"), Eq("/stages/1/stageName", "{{.OtherStage}}"), LastPage("/nextPageKey")}},
		{Op: "getStages", Title: "page: a page size of 1 gives the first stage and the key of the second", Needs: NeedsProject, Query: map[string]string{"pageSize": "1"}, Status: s(200),
			Expect: []Expectation{Len("/stages", 1), Eq("/stages/0/stageName", "{{.Stage}}"), Eq("/totalCount", "2"), Eq("/nextPageKey", "1")}},
		{Op: "getStages", Title: "page: the key of the second page gives the second stage and ends with \"0\"", Needs: NeedsProject,
			Query: map[string]string{"pageSize": "1", "nextPageKey": "1"}, Status: s(200),
			Expect: []Expectation{Len("/stages", 1), Eq("/stages/0/stageName", "{{.OtherStage}}"), LastPage("/nextPageKey")}},
		{Op: "getStages", Title: "page: walking the pages of size 1 by the keys answered gives each stage once, then ends", Needs: NeedsProject,
			Query: map[string]string{"pageSize": "1"}, Status: s(200),
			Expect: []Expectation{Len("/stages", 1), Eq("/stages/0/stageName", "{{.Stage}}"), Eq("/totalCount", "2"), NextPage("/nextPageKey")},
			Probes: []Probe{{Op: "getStages", Query: map[string]string{"pageSize": "1", "nextPageKey": "{{.Response.nextPageKey}}"}, Status: s(200),
				Expect: []Expectation{Len("/stages", 1), Eq("/stages/0/stageName", "{{.OtherStage}}"), Eq("/totalCount", "2"), LastPage("/nextPageKey")}}}},
		{Op: "getStages", Title: "page: a page size of 2 gives both stages on one page, the last", Needs: NeedsProject,
			Query: map[string]string{"pageSize": "2"}, Status: s(200),
			Expect: []Expectation{Len("/stages", 2), Eq("/totalCount", "2"), LastPage("/nextPageKey")}},
		{Op: "getStages", Title: "list each stage with its services, as getStage answers it", Needs: NeedsService, Status: s(200),
			Expect: []Expectation{Includes("/stages/[stageName={{.Stage}}]/services/*/serviceName", "{{.Service}}"), Includes("/stages/[stageName={{.OtherStage}}]/services/*/serviceName", "{{.Service}}")},
			Grade:  onSpec("getStages", "200 Stages: each an ExpandedStage, with its services (upstream lists the stages as getStage answers each)")},
		{Op: "getStages", Title: "answer 404 for an unknown project", Params: map[string]string{"projectName": unknownProject}, Status: s(404)},
		{Op: "getStages", Title: "answer 400 for a page size of 0", Needs: NeedsProject, Query: map[string]string{"pageSize": "0"}, Status: s(400), Negative: true},
		atMaximum("getStages", NeedsProject, "pageSize", nil, Includes("/stages/*/stageName", "{{.Stage}}")),
		{Op: "createStageInternal", Title: "create a stage, listed after the stages the project has", Needs: NeedsProject, Body: "requests/createStageInternal.json", Status: s(204),
			Probes: []Probe{{Op: "getStage", Params: map[string]string{"stageName": "{{.NewName}}"}, Status: s(200), Expect: []Expectation{Eq("/stageName", "{{.NewName}}")}},
				{Op: "getStages", Status: s(200), Expect: []Expectation{Eq("/stages/0/stageName", "{{.Stage}}"), Eq("/stages/2/stageName", "{{.NewName}}")}}}},
		{Op: "createStageInternal", Title: "answer 400 for an unknown project", Params: map[string]string{"projectName": unknownProject}, Body: "requests/createStageInternal.json", Status: s(400)},
		{Op: "createStageInternal", Title: "answer 400 for a stage that exists", Needs: NeedsProject, Body: "requests/updateStageInternal.json", Status: s(400)},
		{Op: "getStage", Title: "answer the stage with its services", Needs: NeedsService, Status: s(200),
			Expect: []Expectation{Eq("/stageName", "{{.Stage}}"), Eq("/services/0/serviceName", "{{.Service}}")}},
		{Op: "getStage", Title: "answer 404 for an unknown stage", Needs: NeedsProject, Params: map[string]string{"stageName": "{{.Missing}}"}, Status: s(404)},
		{Op: "updateStageInternal", Title: "accept an update of a stage", Needs: NeedsProject, Body: "requests/updateStageInternal.json", Status: s(204)},
		{Op: "updateStageInternal", Title: "answer 400 for an unknown stage", Needs: NeedsProject, Params: map[string]string{"stageName": "{{.Missing}}"},
			Body: "requests/updateStageInternal.json", Status: s(400)},
		{Op: "deleteStageInternal", Title: "delete a stage", Needs: NeedsProject, Params: map[string]string{"stageName": "{{.OtherStage}}"}, Status: s(204),
			Probes: []Probe{{Op: "getStage", Params: map[string]string{"stageName": "{{.OtherStage}}"}, Status: s(404)}}},
		{Op: "deleteStageInternal", Title: "answer 400 for an unknown stage", Needs: NeedsProject, Params: map[string]string{"stageName": "{{.Missing}}"}, Status: s(400)},

		{Op: "getStageServices", Title: "list the stage's services", Needs: NeedsService, Status: s(200),
			Expect: []Expectation{Eq("/totalCount", "1"), Eq("/services/0/serviceName", "{{.Service}}")}},
		{Op: "getStageServices", Title: "answer 404 for an unknown stage", Needs: NeedsProject, Params: map[string]string{"stageName": "{{.Missing}}"}, Status: s(404)},
		{Op: "getStageServices", Title: "answer 400 for a page size of 0", Needs: NeedsProject, Query: map[string]string{"pageSize": "0"}, Status: s(400), Negative: true},
		atMaximum("getStageServices", NeedsService, "pageSize", nil, Includes("/services/*/serviceName", "{{.Service}}")),
		{Op: "createServiceInternal", Title: "create a service in a stage", Needs: NeedsProject, Body: "requests/createServiceInternal.json", Status: s(204),
			Probes: []Probe{{Op: "getStageService", Params: map[string]string{"serviceName": "{{.NewName}}"}, Status: s(200), Expect: []Expectation{Eq("/serviceName", "{{.NewName}}")}}}},
		{Op: "createServiceInternal", Title: "answer 400 for a service that exists", Needs: NeedsService, Body: "requests/updateServiceInternal.json", Status: s(400)},
		{Op: "getStageService", Title: "answer the service of the stage", Needs: NeedsService, Status: s(200),
			Expect: []Expectation{Eq("/serviceName", "{{.Service}}"), Has("/creationDate")}},
		{Op: "getStageService", Title: "answer an open approval with its image and tag, as getApproval does", Needs: NeedsApproval, Status: s(200),
			Expect: []Expectation{Eq("/openApprovals/[eventId={{.ApprovalID}}]/image", "registry.example/keptnexamples/carts"), Eq("/openApprovals/[eventId={{.ApprovalID}}]/tag", "0.11.1")},
			Grade:  onSpec("getStageService", "200 ExpandedService.openApprovals: the open Approvals (upstream keeps each as it was created)")},
		{Op: "getStageService", Title: "answer 404 for an unknown service", Needs: NeedsProject, Params: map[string]string{"serviceName": "{{.Missing}}"}, Status: s(404)},
		{Op: "updateServiceInternal", Title: "accept an update of a service", Needs: NeedsService, Body: "requests/updateServiceInternal.json", Status: s(204)},
		{Op: "updateServiceInternal", Title: "answer 400 for an unknown service", Needs: NeedsProject, Params: map[string]string{"serviceName": "{{.Missing}}"},
			Body: "requests/updateServiceInternal.json", Status: s(400)},
		{Op: "deleteServiceInternal", Title: "delete a service from a stage", Needs: NeedsService, Status: s(204),
			Probes: []Probe{{Op: "getStageService", Status: s(404)}}},
		{Op: "deleteServiceInternal", Title: "answer 400 for an unknown service", Needs: NeedsProject, Params: map[string]string{"serviceName": "{{.Missing}}"}, Status: s(400)},

		{Op: "createApproval", Title: "store an approval and answer it", Needs: NeedsService, Body: "requests/createApproval.json", Status: s(200),
			Expect: []Expectation{Eq("/eventId", "{{.NewID}}"), Eq("/keptnContext", "{{.NewContext}}"), Eq("/tag", "0.11.2")},
			Probes: []Probe{{Op: "getApproval", Params: map[string]string{"approvalID": "{{.NewID}}"}, Status: s(200), Expect: []Expectation{Eq("/image", "registry.example/keptnexamples/carts"), SameTime("/time", "2020-08-01T10:00:00Z")}},
				{Op: "getStageService", Status: s(200), Expect: []Expectation{Includes("/openApprovals/*/eventId", "{{.NewID}}")}}}},
		// Upstream documents only 200 (and default) for the POST, and 0.7.3 answers an unknown
		// service 200, storing nothing: at MUST nothing is stored, the 404 is recommended.
		{Op: "createApproval", Title: "store nothing for an unknown service (404, or 200 for nothing)", Needs: NeedsService, Params: map[string]string{"serviceName": "{{.Missing}}"},
			Body: "requests/createApproval.json", Status: s(200, 404),
			Probes: []Probe{{Op: "getApprovals", Params: map[string]string{"serviceName": "{{.Missing}}"}, Status: s(404)}}},
		{Op: "createApproval", Title: "answer 404 for an unknown service", Needs: NeedsService, Params: map[string]string{"serviceName": "{{.Missing}}"},
			Body: "requests/createApproval.json", Status: s(404), Grade: recommend(refuseUnknown)},
		{Op: "getApprovals", Title: "list the open approvals", Needs: NeedsApproval, Status: s(200),
			Expect: []Expectation{Eq("/totalCount", "1"), Eq("/approvals/0/eventId", "{{.ApprovalID}}")}},
		{Op: "getApprovals", Title: "answer 404 for an unknown service", Needs: NeedsService, Params: map[string]string{"serviceName": "{{.Missing}}"}, Status: s(404)},
		{Op: "getApprovals", Title: "answer 400 for a page size of 0", Needs: NeedsService, Query: map[string]string{"pageSize": "0"}, Status: s(400), Negative: true},
		atMaximum("getApprovals", NeedsApproval, "pageSize", nil, Eq("/totalCount", "1")),
		{Op: "getApproval", Title: "answer an approval by its event id", Needs: NeedsApproval, Status: s(200),
			Expect: []Expectation{Eq("/eventId", "{{.ApprovalID}}"), Eq("/keptnContext", "{{.ApprovalContext}}")}},
		{Op: "getApproval", Title: "answer 404 for an unknown approval", Needs: NeedsService, Params: map[string]string{"approvalID": "{{.NewID}}"}, Status: s(404)},
		// An approval is named by its event id: its Keptn context names none (upstream matches the id alone).
		{Op: "getApproval", Title: "answer 404 for the Keptn context of an approval, which is not its id", Needs: NeedsApproval, Params: map[string]string{"approvalID": "{{.ApprovalContext}}"}, Status: s(404)},
		{Op: "closeApproval", Title: "close an approval", Needs: NeedsApproval, Status: s(200),
			Probes: []Probe{{Op: "getApproval", Status: s(404)}, {Op: "getApprovals", Status: s(200), Expect: []Expectation{Zero("/totalCount")}}}},
		// Two approvals of one service: each answered and closed by its own event id.
		{Op: "getApproval", Title: "answer each of two approvals by its own event id", Needs: NeedsApprovalPair, Params: map[string]string{"approvalID": "{{.OtherApprovalID}}"},
			Status: s(200), Expect: []Expectation{Eq("/eventId", "{{.OtherApprovalID}}"), Eq("/tag", "0.11.2")},
			Probes: []Probe{{Op: "getApproval", Status: s(200), Expect: []Expectation{Eq("/eventId", "{{.ApprovalID}}"), Eq("/tag", "0.11.1")}}}},
		{Op: "getStageService", Title: "answer the open approvals in the order they were made, as getApprovals does", Needs: NeedsApprovalPair, Status: s(200),
			Expect: []Expectation{Eq("/openApprovals/0/eventId", "{{.ApprovalID}}"), Eq("/openApprovals/1/eventId", "{{.OtherApprovalID}}")},
			Probes: []Probe{{Op: "getApprovals", Status: s(200), Expect: []Expectation{Eq("/approvals/0/eventId", "{{.ApprovalID}}"), Eq("/approvals/1/eventId", "{{.OtherApprovalID}}")}}},
			Grade:  recommend("the bridge shows a service's open approvals from both; upstream answers both from one list, in the order the approvals were made")},
		{Op: "closeApproval", Title: "close one of two approvals, leaving the other open", Needs: NeedsApprovalPair, Status: s(200),
			Probes: []Probe{{Op: "getApproval", Status: s(404)},
				{Op: "getApprovals", Status: s(200), Expect: []Expectation{Eq("/totalCount", "1"), Eq("/approvals/0/eventId", "{{.OtherApprovalID}}")}},
				{Op: "getApproval", Params: map[string]string{"approvalID": "{{.OtherApprovalID}}"}, Status: s(200), Expect: []Expectation{Eq("/eventId", "{{.OtherApprovalID}}")}}}},
		{Op: "closeApproval", Title: "close the later of two approvals, leaving the earlier open", Needs: NeedsApprovalPair, Params: map[string]string{"approvalID": "{{.OtherApprovalID}}"}, Status: s(200),
			Probes: []Probe{{Op: "getApproval", Params: map[string]string{"approvalID": "{{.OtherApprovalID}}"}, Status: s(404)},
				{Op: "getApprovals", Status: s(200), Expect: []Expectation{Eq("/totalCount", "1"), Eq("/approvals/0/eventId", "{{.ApprovalID}}")}},
				{Op: "getApproval", Status: s(200), Expect: []Expectation{Eq("/eventId", "{{.ApprovalID}}")}}}},
		{Op: "closeApproval", Title: "answer 404 for an unknown approval", Needs: NeedsService, Params: map[string]string{"approvalID": "{{.NewID}}"}, Status: s(404)},
		// Another service of the stage (its name the service's and more) has no such approval.
		{Op: "closeApproval", Title: "answer 404 for the approval of another service of the stage, which stays open", Needs: NeedsApproval | NeedsSibling,
			Params: map[string]string{"serviceName": "{{.Sibling}}"}, Status: s(404),
			Grade:  onSpec("closeApproval", "200: it closes the approval of the service the path names (upstream looks in that service only, and answers 404 when it has no such approval)"),
			Probes: []Probe{{Op: "getApproval", Status: s(200), Expect: []Expectation{Eq("/eventId", "{{.ApprovalID}}")}}}},
		// An approval is identified by its eventId as sent, whatever its form.
		{Op: "createApproval", Title: "store an approval under the eventId it is sent with, one that is no UUID too", Needs: NeedsService,
			Body: `{"keptnContext": "{{.NewContext}}", "eventId": "approval1", "image": "registry.example/keptnexamples/carts", "tag": "0.11.2"}`, Status: s(200),
			Grade:  onSpec("createApproval", "200: an approval is identified by its eventId (upstream stores the approval as it is sent, and getApproval matches the id)"),
			Probes: []Probe{{Op: "getApproval", Params: map[string]string{"approvalID": "approval1"}, Status: s(200), Expect: []Expectation{Eq("/eventId", "approval1")}}}},

		{Op: "createRemediation", Title: "store a remediation under the Keptn context it is sent with, one that is no UUID too", Needs: NeedsService,
			Body: `{"keptnContext": "remediation1", "eventId": "{{.NewID}}", "type": "sh.keptn.event.remediation.triggered", "action": "scale"}`, Status: s(200),
			Grade:  onSpec("createRemediation", "200: a remediation is found by its keptnContext (upstream stores it as it is sent, and getRemediationsForContext matches it)"),
			Probes: []Probe{{Op: "getRemediationsForContext", Params: map[string]string{"keptnContext": "remediation1"}, Status: s(200), Expect: []Expectation{Eq("/totalCount", "1"), Eq("/remediations/0/eventId", "{{.NewID}}")}}}},
		{Op: "createApproval", Title: "keep an approval open when the remediations of its Keptn context are closed", Needs: NeedsRemediation,
			Body: `{"keptnContext": "{{.RemediationContext}}", "eventId": "{{.NewID}}", "image": "registry.example/keptnexamples/carts", "tag": "0.11.2"}`, Status: s(200),
			Grade: onSpec("closeRemediations", "200: it closes the remediations of the Keptn context (upstream leaves the service's approvals alone)"),
			Probes: []Probe{{Op: "closeRemediations", Status: s(200)},
				{Op: "getApproval", Params: map[string]string{"approvalID": "{{.NewID}}"}, Status: s(200), Expect: []Expectation{Eq("/eventId", "{{.NewID}}")}}}},
		{Op: "createRemediation", Title: "store a remediation and answer it", Needs: NeedsService, Body: "requests/createRemediation.json", Status: s(200),
			Expect: []Expectation{Eq("/keptnContext", "{{.NewContext}}"), Eq("/action", "scale")},
			Probes: []Probe{{Op: "getRemediationsForContext", Params: map[string]string{"keptnContext": "{{.NewContext}}"}, Status: s(200), Expect: []Expectation{Eq("/remediations/0/eventId", "{{.NewID}}")}},
				{Op: "getStageService", Status: s(200), Expect: []Expectation{Includes("/openRemediations/*/keptnContext", "{{.NewContext}}")}}}},
		// The spec's Remediation has no required field: one without a Keptn context is refused on
		// our recommendation only.
		{Op: "createRemediation", Title: "answer 400 for a remediation without its Keptn context", Needs: NeedsService,
			Body: `{"type": "sh.keptn.event.remediation.triggered", "action": "scale"}`, Status: s(400),
			Grade: recommend("a remediation is found and closed by its Keptn context (getRemediationsForContext, closeRemediations): one stored without can never be")},
		{Op: "createRemediation", Title: "store nothing for an unknown service (404, or 200 for nothing)", Needs: NeedsService, Params: map[string]string{"serviceName": "{{.Missing}}"},
			Body: "requests/createRemediation.json", Status: s(200, 404),
			Probes: []Probe{{Op: "getRemediations", Params: map[string]string{"serviceName": "{{.Missing}}"}, Status: s(404)}}},
		{Op: "createRemediation", Title: "answer 404 for an unknown service", Needs: NeedsService, Params: map[string]string{"serviceName": "{{.Missing}}"},
			Body: "requests/createRemediation.json", Status: s(404), Grade: recommend(refuseUnknown)},
		{Op: "getRemediations", Title: "list the open remediations", Needs: NeedsRemediation, Status: s(200),
			Expect: []Expectation{Eq("/totalCount", "1"), Eq("/remediations/0/keptnContext", "{{.RemediationContext}}")}},
		{Op: "getRemediations", Title: "answer 404 for an unknown service", Needs: NeedsService, Params: map[string]string{"serviceName": "{{.Missing}}"}, Status: s(404)},
		{Op: "getRemediations", Title: "answer 400 for a page size of 0", Needs: NeedsService, Query: map[string]string{"pageSize": "0"}, Status: s(400), Negative: true},
		atMaximum("getRemediations", NeedsRemediation, "pageSize", nil, Eq("/totalCount", "1")),
		{Op: "getRemediationsForContext", Title: "list the remediations of a Keptn context", Needs: NeedsRemediation, Status: s(200),
			Expect: []Expectation{Every("/remediations/*/keptnContext", "{{.RemediationContext}}"), Eq("/remediations/0/eventId", "{{.RemediationID}}")}},
		// Both are documented: upstream 0.7.3 answers 200 with an empty list for a known service.
		{Op: "getRemediationsForContext", Title: "answer no remediation for a Keptn context without remediations (404, or 200 and an empty list)", Needs: NeedsService,
			Params: map[string]string{"keptnContext": "{{.NewContext}}"}, Status: s(200, 404), Expect: []Expectation{Zero("/remediations"), Zero("/totalCount")}},
		// A proper prefix of a context with remediations names another context, which has none.
		{Op: "getRemediationsForContext", Title: "answer no remediation for a proper prefix of a Keptn context with remediations (404, or 200 and an empty list)", Needs: NeedsRemediation,
			Params: map[string]string{"keptnContext": "{{slice .RemediationContext 0 8}}"}, Status: s(200, 404), Expect: []Expectation{Zero("/remediations"), Zero("/totalCount")},
			Grade: onSpec("getRemediationsForContext", "200: the remediations of the Keptn context the path names (upstream compares contexts whole)")},
		{Op: "getRemediationsForContext", Title: "answer 400 for a page size of 0", Needs: NeedsRemediation, Query: map[string]string{"pageSize": "0"}, Status: s(400), Negative: true},
		atMaximum("getRemediationsForContext", NeedsRemediation, "pageSize", nil, Eq("/totalCount", "1")),
		{Op: "closeRemediations", Title: "close the remediations of a Keptn context", Needs: NeedsRemediation, Status: s(200),
			Probes: []Probe{{Op: "getRemediationsForContext", Status: s(200, 404), Expect: []Expectation{Zero("/remediations"), Zero("/totalCount")}}}},
		{Op: "closeRemediations", Title: "close the Keptn context's remediations of the service it names only: another service of the stage keeps its own", Needs: NeedsRemediation | NeedsSibling, Status: s(200),
			Grade: onSpec("closeRemediations", "200: it closes the remediations of the Keptn context of the service the path names (upstream changes that service only)"),
			Probes: []Probe{{Op: "getRemediationsForContext", Status: s(200, 404), Expect: []Expectation{Zero("/remediations"), Zero("/totalCount")}},
				{Op: "getRemediationsForContext", Params: map[string]string{"serviceName": "{{.Sibling}}"}, Status: s(200), Expect: []Expectation{Eq("/totalCount", "1"), Every("/remediations/*/keptnContext", "{{.RemediationContext}}")}}}},
		// Remediations of two Keptn contexts: each context answered and closed alone.
		{Op: "getRemediationsForContext", Title: "list only the remediations of the Keptn context, none of another context's", Needs: NeedsRemediationPair, Status: s(200),
			Expect: []Expectation{Eq("/totalCount", "1"), Len("/remediations", 1), Eq("/remediations/0/eventId", "{{.RemediationID}}")},
			Probes: []Probe{{Op: "getRemediationsForContext", Params: map[string]string{"keptnContext": "{{.OtherRemediationContext}}"}, Status: s(200),
				Expect: []Expectation{Eq("/totalCount", "1"), Eq("/remediations/0/eventId", "{{.OtherRemediationID}}")}}}},
		{Op: "createRemediation", Title: "store a second remediation of a Keptn context, both of which closeRemediations then closes", Needs: NeedsRemediation,
			Body: `{"keptnContext": "{{.RemediationContext}}", "eventId": "{{.NewID}}", "time": "2020-08-01T10:01:00Z", "type": "sh.keptn.event.remediation.triggered", "action": "scale"}`, Status: s(200),
			Grade: onSpec("closeRemediations", "200: it closes the remediations of the Keptn context, all of them"),
			Probes: []Probe{{Op: "getRemediationsForContext", Status: s(200), Expect: []Expectation{Eq("/totalCount", "2")}},
				{Op: "closeRemediations", Status: s(200)},
				{Op: "getRemediationsForContext", Status: s(200, 404), Expect: []Expectation{Zero("/remediations"), Zero("/totalCount")}}}},
		{Op: "createRemediation", Title: "list a second remediation of a Keptn context beside the first in the service's openRemediations", Needs: NeedsRemediation,
			Body: `{"keptnContext": "{{.RemediationContext}}", "eventId": "{{.NewID}}", "time": "2020-08-01T10:01:00Z", "type": "sh.keptn.event.remediation.triggered", "action": "scale"}`, Status: s(200),
			Grade: onSpec("getStageService", "200: ExpandedService.openRemediations, the service's open remediations (upstream's view appends each one it is given)"),
			Probes: []Probe{{Op: "getStageService", Status: s(200), Expect: []Expectation{
				Includes("/openRemediations/*/eventId", "{{.RemediationID}}"), Includes("/openRemediations/*/eventId", "{{.NewID}}")}}}},
		{Op: "closeRemediations", Title: "close the remediations of one Keptn context, leaving another context's open", Needs: NeedsRemediationPair, Status: s(200),
			Probes: []Probe{{Op: "getRemediations", Status: s(200), Expect: []Expectation{Eq("/totalCount", "1"), Eq("/remediations/0/eventId", "{{.OtherRemediationID}}")}},
				{Op: "getRemediationsForContext", Params: map[string]string{"keptnContext": "{{.OtherRemediationContext}}"}, Status: s(200),
					Expect: []Expectation{Eq("/remediations/0/eventId", "{{.OtherRemediationID}}")}}}},
		{Op: "closeRemediations", Title: "close the remediations of the later of two Keptn contexts, leaving the earlier's open", Needs: NeedsRemediationPair,
			Params: map[string]string{"keptnContext": "{{.OtherRemediationContext}}"}, Status: s(200),
			Probes: []Probe{{Op: "getRemediations", Status: s(200), Expect: []Expectation{Eq("/totalCount", "1"), Eq("/remediations/0/eventId", "{{.RemediationID}}")}},
				{Op: "getRemediationsForContext", Status: s(200), Expect: []Expectation{Eq("/remediations/0/eventId", "{{.RemediationID}}")}}}},
		{Op: "closeRemediations", Title: "answer 404 for a Keptn context without remediations", Needs: NeedsService, Params: map[string]string{"keptnContext": "{{.NewContext}}"}, Status: s(404)},

		{Op: "handleEventInternal", Title: "accept an event", Needs: NeedsService, Body: "requests/handleEventInternal.json", Status: s(200)},
		// An event of a service, handled now: the service's lastEventTypes (the spec's ExpandedService)
		// names it under its type.
		{Op: "handleEventInternal", Title: "record the event as the last of its type on the service it names (lastEventTypes)", Needs: NeedsService,
			Body: `{"type": "sh.keptn.event.configuration.conformance", "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2",
				"shkeptncontext": "{{.NewContext}}", "id": "{{.NewID}}", "time": "{{now}}", "data": {"project": "{{.Project}}", "stage": "{{.Stage}}", "service": "{{.Service}}"}}`,
			Status: s(200), Grade: recommend(lastEventTypes),
			Probes: []Probe{{Op: "getStageService", Status: s(200), Expect: []Expectation{
				Eq("/lastEventTypes/sh.keptn.event.configuration.conformance/eventId", "{{.NewID}}"),
				Eq("/lastEventTypes/sh.keptn.event.configuration.conformance/keptnContext", "{{.NewContext}}")}},
				{Op: "getProjectService", Status: s(200), Expect: []Expectation{
					Eq("/stageInfo/[stageName={{.Stage}}]/lastEventTypes/sh.keptn.event.configuration.conformance/eventId", "{{.NewID}}")}}}},
		// The second event of a type about the service, later in time and arrival: an entry of
		// lastEventTypes names the last (a gateway keeping none passes; the SHOULD above wants one).
		{Op: "handleEventInternal", Title: "record a later event of a type as the last of its type: lastEventTypes, when it names the type, names the later event", Needs: NeedsHandledEvent,
			Body: `{"type": "sh.keptn.event.configuration.conformance", "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2",
				"shkeptncontext": "{{.NewContext}}", "id": "{{.NewID}}", "triggeredid": "{{.HandledID}}", "time": "{{now}}", "data": {"project": "{{.Project}}", "stage": "{{.Stage}}", "service": "{{.Service}}"}}`,
			Status: s(200), Grade: onSpec("getStageService", "200: ExpandedService.lastEventTypes, the last event of each type (upstream's view writes each event over its type's entry)"),
			Probes: []Probe{{Op: "getStageService", Status: s(200), Expect: []Expectation{
				EqOrAbsent("/lastEventTypes/sh.keptn.event.configuration.conformance/eventId", "{{.NewID}}")}}}},
		// A deployment in one stage: the service's stageInfo gives each stage its own image, so the
		// other stage's (it has none) is not that image.
		{Op: "handleEventInternal", Title: "set deployedImage in the stageInfo of the stage deployed to only", Needs: NeedsService,
			Body: "requests/handleEventInternal.json", Status: s(200),
			Grade: onSpec("getProjectService", "200 ExpandedServiceWithStageInfo: stageInfo, each stage with its own deployedImage (upstream takes each from its stage)"),
			Probes: []Probe{{Op: "getProjectService", Status: s(200), Expect: []Expectation{
				NotValue("/stageInfo/[stageName={{.OtherStage}}]/deployedImage", "registry.example/keptnexamples/carts:0.11.2"),
				NotValue("/stageInfo/[stageName={{.OtherStage}}]/deployedImage", "registry.example/keptnexamples/carts")}}}},
		// The fixture is a deployment-finished event of image registry.example/keptnexamples/carts, tag 0.11.2.
		{Op: "handleEventInternal", Title: "set the service's deployedImage to the image and tag of a deployment-finished event (image:tag)", Needs: NeedsService,
			Body: "requests/handleEventInternal.json", Status: s(200), Grade: recommend(deployedImage),
			Probes: []Probe{{Op: "getStageService", Status: s(200), Expect: []Expectation{Eq("/deployedImage", "registry.example/keptnexamples/carts:0.11.2")}}}},
		// A deployment-finished event without image and tag after one with them: the deployed image
		// stays (for a gateway that keeps deployedImage at all: the SHOULD above).
		{Op: "handleEventInternal", Title: "keep the service's deployedImage when a later deployment-finished event names no image", Needs: NeedsService,
			Body: "requests/handleEventInternal.json", Status: s(200),
			Grade: onSpec("getStageService", "200: ExpandedService.deployedImage, the currently deployed image (upstream's view sets it only from a deployment-finished event with image and tag)"),
			Given: []Probe{{Op: "getStageService", Status: s(200), Expect: []Expectation{Eq("/deployedImage", "registry.example/keptnexamples/carts:0.11.2")}}},
			Probes: []Probe{{Op: "handleEventInternal", Status: s(200),
				Body: `{"type": "sh.keptn.events.deployment-finished", "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2", "shkeptncontext": "{{.NewContext}}", "id": "{{.HandledID}}", "time": "{{now}}",
					"data": {"project": "{{.Project}}", "stage": "{{.Stage}}", "service": "{{.Service}}"}}`},
				{Op: "getStageService", Status: s(200), Expect: []Expectation{Eq("/deployedImage", "registry.example/keptnexamples/carts:0.11.2")}}}},
		// An event that carries an image but deploys nothing (Keptn 0.7's approval.triggered names the
		// image it asks to promote): the service's deployedImage is not that image.
		{Op: "handleEventInternal", Title: "leave the service's deployedImage alone for an event with an image that is no deployment-finished event", Needs: NeedsService,
			Body: `{"type": "sh.keptn.event.approval.triggered", "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2", "shkeptncontext": "{{.NewContext}}", "id": "{{.NewID}}", "time": "{{now}}",
				"data": {"project": "{{.Project}}", "stage": "{{.Stage}}", "service": "{{.Service}}", "image": "registry.example/keptnexamples/undeployed", "tag": "9.9.9"}}`,
			Status: s(200), Grade: onSpec("getStageService", "200: ExpandedService.deployedImage, the currently deployed image (upstream's view sets it from deployment-finished events alone)"),
			Probes: []Probe{{Op: "getStageService", Status: s(200), Expect: []Expectation{
				NotValue("/deployedImage", "registry.example/keptnexamples/undeployed:9.9.9"), NotValue("/deployedImage", "registry.example/keptnexamples/undeployed")}}}},
		{Op: "handleEventInternal", Title: "refuse an event whose time is no RFC 3339 date-time (hour 99) with a client error", Needs: NeedsService,
			Body:   `{"type": "sh.keptn.event.configuration.conformance", "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2", "shkeptncontext": "{{.NewContext}}", "id": "{{.NewID}}", "time": "2020-08-25T99:99:99Z", "data": {"project": "{{.Project}}"}}`,
			Any4xx: true, Negative: true},
		{Op: "handleEventInternal", Title: "answer 400 for an event without a type", Needs: NeedsService,
			Body: `{"source": "keptn-conformance", "data": {}}`, Status: s(400), Negative: true},
	}
	for _, l := range levels {
		out = append(out, resourceCases(l)...)
	}
	// A resource stays at the level it was written at (the service-default level is left out: its
	// resources are used in every stage).
	newURI := map[string]string{"resourceURI": "{{.NewResourceURI}}"}
	otherStage := map[string]string{"resourceURI": "{{.NewResourceURI}}", "stageName": "{{.OtherStage}}"}
	out = append(out,
		Case{Op: "postStageResources", Title: "add resources to one stage only: neither the project, the other stage nor the stage's service shows them", Needs: NeedsService,
			Body: "requests/resources.json", Status: s(201), Expect: []Expectation{Has("/version")},
			Probes: []Probe{{Op: "getStageResource", Params: newURI, Status: s(200)}, {Op: "getProjectResource", Params: newURI, Status: s(404)},
				{Op: "getStageResource", Params: otherStage, Status: s(404)}, {Op: "getServiceResource", Params: newURI, Status: s(404)}}},
		Case{Op: "postServiceResources", Title: "add resources to a service in one stage only: neither the stage, the service in the other stage nor the project shows them", Needs: NeedsService,
			Body: "requests/resources.json", Status: s(201), Expect: []Expectation{Has("/version")},
			Probes: []Probe{{Op: "getServiceResource", Params: newURI, Status: s(200)}, {Op: "getStageResource", Params: newURI, Status: s(404)},
				{Op: "getServiceResource", Params: otherStage, Status: s(404)}, {Op: "getProjectResource", Params: newURI, Status: s(404)}}})
	// A service holds the resources written to it, and nothing else (a Helm chart only when the
	// createService request carried one).
	out = append(out, Case{Op: "getServiceResources", Title: "answer no resource for a service in a stage that none was written to (created without a Helm chart)", Needs: NeedsService,
		Grade:  recommend("a service's resources are the ones written to it: a resource nobody wrote (an empty Helm chart) would be deployed"),
		Status: s(200), Expect: []Expectation{Zero("/totalCount"), Zero("/resources")}})
	// A project's resources are at least its shipyard and the world's resource; upstream may hold more.
	out = append(out, Case{Op: "getProjectResources", Title: "page: a page size of 1 gives one resource and the key of the next page, which gives another", Needs: NeedsResources,
		Query: map[string]string{"pageSize": "1"}, Status: s(200),
		Expect: []Expectation{Len("/resources", 1), NextPage("/nextPageKey")},
		Probes: []Probe{{Op: "getProjectResources", Query: map[string]string{"pageSize": "1", "nextPageKey": "{{.Response.nextPageKey}}"}, Status: s(200),
			Expect: []Expectation{Len("/resources", 1), Ne("/resources/0/resourceURI", "{{(index .Response.resources 0).resourceURI}}")}}}})
	// A body larger than the fixtures' small ones passes the gateway (its limits, the auth
	// subrequest of the configuration-service routes) and is stored byte for byte.
	out = append(out, Case{Op: "postProjectResources", Title: "add a resource of 96 KiB (a small Helm chart) and answer it back byte for byte", Needs: NeedsProject,
		Body:   `{"resources": [{"resourceURI": "{{.NewResourceURI}}", "resourceContent": "{{b64 large}}"}]}`,
		Grade:  grade.Grade{Level: grade.Must, Source: grade.Docs("keptn CLI: keptn add-resource uploads a file of any size as a base64 resource (facts §8); resourceContent has no maximum length (specs)")},
		Status: s(201), Expect: []Expectation{Has("/version")},
		Probes: []Probe{{Op: "getProjectResource", Params: newURI, Status: s(200), Expect: []Expectation{Eq("/resourceContent", "{{b64 large}}")}}}})
	// A URI given with a leading slash (keptn add-resource --resourceUri=/slo.yaml) names the file
	// without it (upstream joins it below the level's directory).
	out = append(out, Case{Op: "postProjectResources", Title: "add a resource whose URI has a leading slash as the URI without it", Needs: NeedsProject,
		Body:   `{"resources": [{"resourceURI": "/{{.NewResourceURI}}", "resourceContent": "{{b64 "added by keptn-conformance"}}"}]}`,
		Status: s(201), Grade: recommend("upstream's configuration-service stores /name as name (it joins the URI below the level's directory), and clients (keptn add-resource --resourceUri) may send either"),
		Probes: []Probe{{Op: "getProjectResource", Params: map[string]string{"resourceURI": "{{.NewResourceURI}}"}, Status: s(200), Expect: []Expectation{Eq("/resourceContent", `{{b64 "added by keptn-conformance"}}`)}}}})
	// Base64's standard alphabet (RFC 4648 §4) holds + and /, which any binary file's encoding
	// (a Helm chart's) has: "+/8=" is the bytes fb ff.
	out = append(out, Case{Op: "postProjectResources", Title: "add a resource whose base64 content holds + and / (the standard alphabet) and answer it back as sent", Needs: NeedsProject,
		Body:   `{"resources": [{"resourceURI": "{{.NewResourceURI}}", "resourceContent": "+/8="}]}`,
		Grade:  grade.Grade{Level: grade.Must, Source: grade.Spec("Resource.resourceContent: base64 (RFC 4648 §4, the standard alphabet: + and /), as upstream decodes it; keptn add-resource uploads binary files such as Helm charts")},
		Status: s(201), Expect: []Expectation{Has("/version")},
		Probes: []Probe{{Op: "getProjectResource", Params: newURI, Status: s(200), Expect: []Expectation{Eq("/resourceContent", "+/8=")}}}})
	// Upstream's specs say nothing of dot segments (0.7.3 writes such a resource outside the
	// project): refusing them is recommended on the guidance on path traversal; a GET of a file
	// outside the project finds no resource of it (404, as the spec documents).
	traversal := grade.Grade{Level: grade.Should, Source: grade.Guide("OWASP Path Traversal: a resourceURI names a file of the project; one that climbs out of it with .. must not be written")}
	out = append(out,
		Case{Op: "putProjectResource", Title: "answer 400 for a resourceURI that climbs out with ..", Needs: NeedsProject, Grade: traversal,
			Params: map[string]string{"resourceURI": "../../etc/passwd"}, Body: `{"resourceURI": "../../etc/passwd", "resourceContent": "eA=="}`, Status: s(400)},
		Case{Op: "postProjectResources", Title: "answer 400 for a resourceURI that climbs out with ..", Needs: NeedsProject, Grade: traversal,
			Body: `{"resources": [{"resourceURI": "a/../../b", "resourceContent": "eA=="}]}`, Status: s(400)},
		Case{Op: "getProjectResource", Title: "answer 404 for a resourceURI that climbs out with ..", Needs: NeedsProject,
			Params: map[string]string{"resourceURI": "../../../etc/passwd"}, Status: s(404)},
	)
	return out
}

// mongodbDatastore are the cases of specs/mongodb-datastore.yaml.
func mongodbDatastore() []Case {
	return []Case{
		{Op: "saveEventInternal", Title: "store an event", Needs: NeedsProject, Body: "requests/saveEventInternal.json", Status: s(201),
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"project": "{{.Project}}", "eventID": "{{.NewID}}"}, Status: s(200),
				Expect: []Expectation{Eq("/totalCount", "1"), Eq("/events/0/shkeptncontext", "{{.NewContext}}")}}}},
		{Op: "getEvents", Title: "answer the events of a Keptn context", Needs: NeedsEvent,
			Query: map[string]string{"keptnContext": "{{.EventContext}}"}, Status: s(200),
			Expect: []Expectation{Eq("/totalCount", "1"), Eq("/events/0/id", "{{.EventID}}"), LastPage("/nextPageKey")}},
		{Op: "getEvents", Title: "answer events newest first", Needs: NeedsEventPair,
			Query: map[string]string{"keptnContext": "{{.NewContext}}"}, Status: s(200),
			Expect: []Expectation{Eq("/totalCount", "2"), Eq("/events/0/data/marker", "second"), Eq("/events/1/data/marker", "first")}},
		{Op: "getEvents", Title: "filter events by project, stage, service and type", Needs: NeedsEvent,
			Query:  map[string]string{"project": "{{.Project}}", "stage": "{{.Stage}}", "service": "{{.Service}}", "type": "{{.EventType}}"},
			Status: s(200), Expect: []Expectation{Eq("/totalCount", "1"), Eq("/events/0/id", "{{.EventID}}")}},
		{Op: "getEvents", Title: "filter events by fromTime: none newer than a time to come",
			Needs: NeedsEvent, Query: map[string]string{"keptnContext": "{{.EventContext}}", "fromTime": "2999-01-01T00:00:00Z"}, Status: s(200),
			Expect: []Expectation{Zero("/totalCount"), Zero("/events")}},
		{Op: "getEvents", Title: "filter events by fromTime: the event is newer than a time past", Needs: NeedsEvent,
			Query: map[string]string{"keptnContext": "{{.EventContext}}", "fromTime": "2001-01-01T00:00:00Z"}, Status: s(200),
			Expect: []Expectation{Eq("/totalCount", "1"), Eq("/events/0/id", "{{.EventID}}")}},
		{Op: "getEvents", Title: "filter events by source", Needs: NeedsEvent,
			Query: map[string]string{"keptnContext": "{{.EventContext}}", "source": "https://github.com/keptn-conformance/another-source"}, Status: s(200),
			Expect: []Expectation{Zero("/totalCount")}},
		{Op: "getEvents", Title: "find no event of another project", Needs: NeedsEvent,
			Query: map[string]string{"project": "{{.Missing}}", "type": "{{.EventType}}"}, Status: s(200),
			Expect: []Expectation{Zero("/totalCount"), Zero("/events")}},
		{Op: "getEvents", Title: "page: a page size of 1 gives one event and the key of the next page, which gives the other event and ends the walk", Needs: NeedsEventPair,
			Query: map[string]string{"keptnContext": "{{.NewContext}}", "pageSize": "1"}, Status: s(200),
			Expect: []Expectation{Len("/events", 1), Eq("/totalCount", "2"), Eq("/events/0/data/marker", "second"), NextPage("/nextPageKey")},
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"keptnContext": "{{.NewContext}}", "pageSize": "1", "nextPageKey": "{{.Response.nextPageKey}}"}, Status: s(200),
				Expect: []Expectation{Len("/events", 1), Eq("/totalCount", "2"), Eq("/events/0/data/marker", "first"), LastPage("/nextPageKey")}}}},
		{Op: "getEvents", Title: "page: a page size of 2 gives both events of a context on one page, the last", Needs: NeedsEventPair,
			Query: map[string]string{"keptnContext": "{{.NewContext}}", "pageSize": "2"}, Status: s(200),
			Expect: []Expectation{Len("/events", 2), Eq("/totalCount", "2"), Eq("/events/0/data/marker", "second"), Eq("/events/1/data/marker", "first"), LastPage("/nextPageKey")}},
		{Op: "getEvents", Title: "answer a client error for a page size of 0", Query: map[string]string{"pageSize": "0"}, Any4xx: true, Negative: true},
		atMaximum("getEvents", NeedsEvent, "pageSize", map[string]string{"keptnContext": "{{.EventContext}}"}, Eq("/totalCount", "1"), Eq("/events/0/id", "{{.EventID}}")),
		{Op: "saveEventInternal", Title: "store an event whose data holds 96 KiB and answer the data back byte for byte", Needs: NeedsProject,
			Body: `{"type": "{{.EventType}}", "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2", "shkeptncontext": "{{.NewContext}}", "id": "{{.NewID}}", ` +
				`"data": {"project": "{{.Project}}", "stage": "{{.Stage}}", "service": "{{.Service}}", "values": "{{json large}}"}}`,
			Grade:  grade.Grade{Level: grade.Must, Source: grade.Spec("KeptnContextExtendedCE: data is an object of any size (no maximum in the specs)")},
			Status: s(201),
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"project": "{{.Project}}", "eventID": "{{.NewID}}"}, Status: s(200),
				Expect: []Expectation{Eq("/totalCount", "1"), Eq("/events/0/data/values", "{{large}}")}}}},
		{Op: "saveEventInternal", Title: "keep the time an event carries when it is a valid time", Needs: NeedsProject, Body: "requests/saveEventInternal.json", Status: s(201),
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"project": "{{.Project}}", "eventID": "{{.NewID}}"}, Status: s(200),
				Expect: []Expectation{Eq("/totalCount", "1"), SameTime("/events/0/time", "2020-08-01T10:00:00Z")}}}},
		// A time shaped like one but no date-time (hour 99): only a parse of the whole refuses it.
		{Op: "saveEventInternal", Title: "refuse an event whose time is no RFC 3339 date-time (hour 99) with a client error", Needs: NeedsProject,
			Body: `{"type": "{{.EventType}}", "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2", "shkeptncontext": "{{.NewContext}}", "id": "{{.NewID}}", ` +
				`"time": "2020-08-25T99:99:99Z", "data": {"project": "{{.Project}}"}}`, Any4xx: true, Negative: true},
		// Stored after the pair, dated before it: the list is by time, not by arrival.
		{Op: "saveEventInternal", Title: "store an event dated before a context's others, which getEvents then lists last: newest first by time, not by arrival", Needs: NeedsEventPair,
			Body: `{"type": "{{.EventType}}", "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2", "shkeptncontext": "{{.NewContext}}", "id": "{{.NewID}}", ` +
				`"time": "2001-01-01T00:00:00.000Z", "data": {"project": "{{.Project}}", "marker": "old"}}`, Status: s(201),
			Grade: onSpec("getEvents", "200: the events newest first, by their time (upstream's datastore sorts by time)"),
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"keptnContext": "{{.NewContext}}"}, Status: s(200),
				Expect: []Expectation{Eq("/totalCount", "3"), Eq("/events/0/data/marker", "second"), Eq("/events/2/data/marker", "old")}}}},
		{Op: "saveEventInternal", Title: "store an event that getEvents filtered by fromTime at exactly its time leaves out (only newer events)", Needs: NeedsProject,
			Body: "requests/saveEventInternal.json", Status: s(201), Grade: onSpec("getEvents", "fromTime: only events newer than the time"),
			Probes: []Probe{{Op: "getEvents", Query: map[string]string{"keptnContext": "{{.NewContext}}"}, Status: s(200), Expect: []Expectation{Eq("/totalCount", "1")}},
				{Op: "getEvents", Query: map[string]string{"keptnContext": "{{.NewContext}}", "fromTime": "2020-08-01T10:00:00Z"}, Status: s(200), Expect: []Expectation{Zero("/totalCount"), Zero("/events")}}}},
		// The control: an event of the world's type in another project, which the project filter leaves out.
		{Op: "saveEventInternal", Title: "store an event of another project, which getEvents filtered by project leaves out", Needs: NeedsEvent,
			Body: `{"type": "{{.EventType}}", "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2", "shkeptncontext": "{{.NewContext}}", "id": "{{.NewID}}", ` +
				`"data": {"project": "{{.Missing}}", "stage": "{{.Stage}}", "service": "{{.Service}}"}}`, Status: s(201),
			Probes: []Probe{
				{Op: "getEvents", Query: map[string]string{"project": "{{.Missing}}", "eventID": "{{.NewID}}"}, Status: s(200), Expect: []Expectation{Eq("/totalCount", "1")}},
				{Op: "getEvents", Query: map[string]string{"project": "{{.Project}}", "type": "{{.EventType}}"}, Status: s(200),
					Expect: []Expectation{Eq("/totalCount", "1"), Eq("/events/0/id", "{{.EventID}}"), Every("/events/*/data/project", "{{.Project}}")}},
			},
			Grade: onSpec("getEvents", "200: the project parameter narrows the events to the project's")},
		// The world has three events of its type: the pair has no data.service, so the filter must leave it out.
		{Op: "getEventsByType", Title: "answer only the events of a type that match the filter", Needs: NeedsEvent | NeedsEventPair,
			Query: map[string]string{"filter": "data.project:{{.Project}} AND data.service:{{.Service}}"}, Status: s(200),
			Expect: []Expectation{Len("/events", 1), Eq("/events/0/id", "{{.EventID}}")}},
		{Op: "getEventsByType", Title: "read a filter value with commas as alternatives (data.service:<service>,<other>)", Needs: NeedsEvent | NeedsEventPair,
			Query: map[string]string{"filter": "data.project:{{.Project}} AND data.service:{{.Service}},{{.Missing}}"}, Status: s(200),
			Expect: []Expectation{Len("/events", 1), Eq("/events/0/id", "{{.EventID}}")},
			Grade:  recommend("the spec documents a filter value's commas as alternatives, as upstream's datastore reads them ($in); the bridge filters by several stages so")},
		{Op: "getEventsByType", Title: "answer every event of the type when no filter is given", Needs: NeedsEvent | NeedsEventPair, Status: s(200),
			Expect: []Expectation{Len("/events", 3), Every("/events/*/type", "{{.EventType}}"), Includes("/events/*/id", "{{.EventID}}")},
			Grade: recommend("the spec makes filter optional; upstream 0.7.3's datastore answers a query without a filter naming data.project or shkeptncontext 500 " +
				"(\"must provide a filter containing ...\"), so a client gives one, and the other getEventsByType checks give data.project")},
		// The type's three events against its documented limit and fromTime, each beside the filter
		// on the project that clients give (the bridge; upstream 0.7.3 requires one): each narrows
		// the filtered events too.
		{Op: "getEventsByType", Title: "answer at most limit events: a limit of 2 gives two of the three the filter matches", Needs: NeedsEvent | NeedsEventPair,
			Query: map[string]string{"filter": byProject, "limit": "2"}, Status: s(200), Expect: []Expectation{Len("/events", 2), Every("/events/*/type", "{{.EventType}}")},
			Grade: onSpec("getEventsByType", "limit: the most events answered (default 20), of those the filter matches")},
		{Op: "getEventsByType", Title: "answer the newest limit events: a limit of 2 gives the two later of the three the filter matches", Needs: NeedsEvent | NeedsEventPair,
			Query: map[string]string{"filter": byProject, "limit": "2"}, Status: s(200), Expect: []Expectation{Len("/events", 2), NotValue("/events/*/id", "{{.EventID}}")},
			Grade: onSpec("getEventsByType", "limit: the newest events answered, newest first (upstream sorts by time, newest first, then limits; lighthouse reads the latest evaluations so)")},
		{Op: "getEventsByType", Title: "filter events by fromTime: none of those the filter matches is newer than a time to come", Needs: NeedsEvent | NeedsEventPair,
			Query: map[string]string{"filter": byProject, "fromTime": "2999-01-01T00:00:00Z"}, Status: s(200), Expect: []Expectation{Zero("/events")},
			Grade: onSpec("getEventsByType", "fromTime: only the events newer than the time, of those the filter matches")},
		{Op: "getEventsByType", Title: "filter events by fromTime: all three the filter matches are newer than a time past", Needs: NeedsEvent | NeedsEventPair,
			Query: map[string]string{"filter": byProject, "fromTime": "2001-01-01T00:00:00Z"}, Status: s(200), Expect: []Expectation{Len("/events", 3), Includes("/events/*/id", "{{.EventID}}")},
			Grade: onSpec("getEventsByType", "fromTime: only the events newer than the time, of those the filter matches")},
		{Op: "saveEventInternal", Title: "store an invalidation, after which getEventsByType with excludeInvalidated leaves the invalidated event out", Needs: NeedsEvent,
			Body: `{"type": "sh.keptn.event.evaluation.invalidated", "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2", "shkeptncontext": "{{.EventContext}}", ` +
				`"id": "{{.NewID}}", "triggeredid": "{{.EventID}}", "data": {"project": "{{.Project}}", "stage": "{{.Stage}}", "service": "{{.Service}}"}}`, Status: s(201),
			Probes: []Probe{
				{Op: "getEventsByType", Query: map[string]string{"filter": byProject, "excludeInvalidated": "true"}, Status: s(200), Expect: []Expectation{Zero("/events")}},
				{Op: "getEventsByType", Query: map[string]string{"filter": byProject}, Status: s(200), Expect: []Expectation{Len("/events", 1), Eq("/events/0/id", "{{.EventID}}")}},
			},
			Grade: recommend("clients (the bridge) hide invalidated evaluations with excludeInvalidated; upstream's spec names the parameter but not the event that invalidates: " +
				"the check sends Keptn's sh.keptn.event.evaluation.invalidated naming the event as its triggeredid")},
		{Op: "getEventsByType", Title: "answer a client error for a limit of 0", Needs: NeedsEvent, Query: map[string]string{"filter": byProject, "limit": "0"}, Any4xx: true, Negative: true},
		atMaximum("getEventsByType", NeedsEvent|NeedsEventPair, "limit", map[string]string{"filter": byProject}, Len("/events", 3)),
	}
}

// session are the cases of specs/session.yaml; the session profile checks the cookie itself.
func session() []Case {
	return []Case{
		{Op: "login", Title: "log a user in and answer the user", Auth: AuthNone, Needs: NeedsSession, Body: "requests/login.json", Status: s(200),
			Expect: []Expectation{Has("/id"), Has("/expiration_date")}},
		{Op: "login", Title: "answer 401 for a wrong password", Auth: AuthNone, Needs: NeedsSession,
			Body: `{"username": "{{.SessionUser}}", "password": "wrong-{{.NewID}}"}`, Status: s(401)},
		{Op: "listControlPlanes", Title: "list the control planes to a logged-in user", Auth: AuthSession, Needs: NeedsSession, Status: s(200),
			Expect: []Expectation{Has("/data/0/id"), Has("/meta/page/total")}},
		{Op: "logout", Title: "end the session, so that its cookie no longer works", Auth: AuthSession, Needs: NeedsSession, Status: s(204),
			Probes: []Probe{{Op: "listControlPlanes", Auth: AuthSession, Status: s(401)}}},
	}
}

// All returns every case of the catalogue, and the cases derived from the specs.
func All() []Case {
	var out []Case
	for _, c := range apiService() {
		out = append(out, frameworkRefusal(c)...)
	}
	for _, c := range configurationService() {
		out = append(out, frameworkRefusal(c)...)
	}
	out = append(out, nearMisses()...)
	out = append(out, mongodbDatastore()...)
	out = append(out, session()...)
	out = append(out, derivedNegatives(out)...)
	return out
}

// nearMisses look up a project, stage or service by a name that differs from an existing one's
// only in case, or that is a proper prefix of it: the specs compare names as given (upstream's
// are a git repository, its branches and their directories), so each names nothing. A gateway
// that finds an entity case-insensitively or by prefix answers another entity than the one asked
// for; a name in upper case may also be refused as not valid (400).
func nearMisses() []Case {
	var out []Case
	for _, m := range []struct {
		op, param, kind, name string
		needs                 Needs
	}{
		{"getProject", "projectName", "project", ".Project", NeedsProject},
		{"getStage", "stageName", "stage", ".Stage", NeedsProject},
		{"getStageService", "serviceName", "service", ".Service", NeedsService},
		{"getProjectService", "serviceName", "service", ".Service", NeedsService},
	} {
		out = append(out,
			Case{Op: m.op, Title: "answer 404 (or 400) for a " + m.kind + " named as an existing one in upper case", Needs: m.needs,
				Params: map[string]string{m.param: "{{upper " + m.name + "}}"}, Status: s(400, 404)},
			Case{Op: m.op, Title: "answer 404 for a proper prefix of an existing " + m.kind + "'s name", Needs: m.needs,
				Params: map[string]string{m.param: "{{slice " + m.name + " 0 2}}"}, Status: s(404)})
	}
	return out
}

// frameworkRefusal splits a case whose request breaks the spec and which wants the documented
// 400: upstream's framework refuses such a request itself, with 422 (or 415) under default (facts
// §10), so any documented client error passes at MUST, and the 400 is a SHOULD.
func frameworkRefusal(c Case) []Case {
	if !c.Negative || !slices.Equal(c.Status, []int{400}) {
		return []Case{c}
	}
	must := c
	must.Status, must.Any4xx = nil, true
	must.Title = strings.Replace(c.Title, "answer 400 for", "refuse", 1) + " with a client error"
	should := c
	should.Grade = recommend(why400)
	return []Case{must, should}
}
