package cases

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/keptn-conformance/keptn-conformance/conformance/contract"
	"github.com/keptn-conformance/keptn-conformance/conformance/target"
	"github.com/keptn-conformance/keptn-conformance/fixtures"
)

// Needs says what state a case needs before its request; each implies what it is built on.
type Needs uint

// The pieces of state a world can have.
const (
	NeedsProject         Needs = 1 << iota // a project from fixtures/shipyards/shipyard.yaml (stages dev, prod)
	NeedsService                           // + a service in every stage
	NeedsResources                         // + a resource at project, stage, service and service-default level
	NeedsApproval                          // + an open approval of the service in dev
	NeedsRemediation                       // + an open remediation of the service in dev
	NeedsApprovalPair                      // + a second open approval beside it (OtherApprovalID)
	NeedsRemediationPair                   // + a second open remediation, of another Keptn context (OtherRemediationContext)
	NeedsEvent                             // + an event sent through api-service
	NeedsEventPair                         // + two events of one type and context, the later with data.marker "second"
	NeedsHandledEvent                      // + an event of HandledType about the service in dev, handed to configuration-service (HandledID)
	NeedsSibling                           // + a second service in dev, Sibling, with an open remediation of RemediationContext
	NeedsPrefixResource                    // + a resource at every level at PrefixURI, a proper prefix of ResourceURI (with the resources)
	NeedsBridge                            // the bridge credentials are configured
	NeedsSession                           // a logged-in session (Konnect style)
	// MakesProject says the case makes the world's project itself, so it is deleted afterwards.
	MakesProject
)

// HandledType is the type of the events the suite hands to configuration-service about a service.
const HandledType = "sh.keptn.event.configuration.conformance"

// World is the state a case works on: the names of what exists, and fresh ones for what the case
// makes. Request fixtures are templates over it.
type World struct {
	Project, Stage, OtherStage, Service string
	// Sibling is a second service of the stage (NeedsSibling), its name the service's and more.
	Sibling                           string
	Stages                            []string
	Shipyard                          string // the shipyard YAML
	ResourceURI, ResourceContent      string // a resource at every level (content in plain text)
	PrefixURI                         string // a proper prefix of ResourceURI (NeedsPrefixResource)
	ApprovalID, ApprovalContext       string
	RemediationContext, RemediationID string
	// The second approval and remediation of the pairs (NeedsApprovalPair, NeedsRemediationPair).
	OtherApprovalID, OtherRemediationContext, OtherRemediationID string
	EventType, EventContext, EventID                             string
	// HandledID is the event handed to configuration-service (NeedsHandledEvent).
	HandledID                    string
	BridgeUser, BridgePassword   string
	Session                      string // the session cookie ("name=value")
	SessionUser, SessionPassword string

	// Fresh values for the case's own request. The world's ResourceURI holds a / (a path
	// parameter sent as %2F, as the keptn CLI sends helm/<service>.tgz): the by-URI checks judge
	// that; NewResourceURI holds none, so that a front decoding %2F (upstream's nginx) fails
	// those checks only, not every write's read-back as well.
	NewID, NewContext, NewName, NewResourceURI string
	// Missing is a name nothing has.
	Missing string
	// Response is the case's answer as JSON, for its probes' templates.
	Response map[string]any
}

// Env runs cases against a target.
type Env struct {
	Target   *target.Target
	Base     string // the listener the cases talk to
	Timeout  time.Duration
	Interval time.Duration
	// SwapMax is the most a certificate swap may take to be served.
	SwapMax time.Duration

	broken brokenWorlds
	// Load is the load run through a rotation (RotationLoad).
	Load Load
	// InFlightWindow is how long the restart check's request body keeps arriving once the
	// restart began (profiles.InFlight; 0: its default).
	InFlightWindow time.Duration
}

// brokenWorlds remembers the first world that could not be built because what set-up made never
// appeared: every later world that needs the same fails at once, citing it, instead of waiting
// out its own timeout (a target whose created projects never appear is reported in one wait).
type brokenWorlds struct {
	mu    sync.Mutex
	first map[Needs]error
}

// cause is the remembered failure of a piece of state, if any.
func (b *brokenWorlds) cause(n Needs) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.first[n]
}

// remember keeps the first failure of a piece of state.
func (b *brokenWorlds) remember(n Needs, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.first == nil {
		b.first = map[Needs]error{}
	}
	if b.first[n] == nil {
		b.first[n] = err
	}
}

// neverAppeared is an await that ran out of time: what set-up made did not appear.
type neverAppeared struct{ error }

func RandomName(prefix string) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, 10)
	_, _ = rand.Read(b)
	for i := range b {
		b[i] = letters[int(b[i])%len(letters)]
	}
	return prefix + string(b)
}

func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// NewWorld names everything a case may need; nothing exists yet.
func NewWorld() *World {
	sy, _ := fixtures.Read("shipyards/shipyard.yaml")
	return &World{
		Project: RandomName("kc-"), Stage: "dev", OtherStage: "prod", Stages: []string{"dev", "prod"},
		Service: "carts", Sibling: "carts-db", Shipyard: string(sy),
		ResourceURI: "conformance/settings.yaml", ResourceContent: "suite: keptn-conformance\n", PrefixURI: "conformance/settings",
		ApprovalID: NewUUID(), ApprovalContext: NewUUID(),
		RemediationContext: NewUUID(), RemediationID: NewUUID(),
		OtherApprovalID: NewUUID(), OtherRemediationContext: NewUUID(), OtherRemediationID: NewUUID(),
		EventType: "sh.keptn.event." + RandomName("kc") + ".triggered", EventContext: NewUUID(), EventID: NewUUID(),
		HandledID:  NewUUID(),
		BridgeUser: RandomName("user-"), BridgePassword: RandomName("pw-"),
		NewID: NewUUID(), NewContext: NewUUID(), NewName: RandomName("kc-"), NewResourceURI: "conformance-" + RandomName("new-") + ".txt",
		Missing: RandomName("kc-missing-"),
	}
}

func B64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// Build makes the state a case needs through the gateway's own API, and returns how to remove it.
// The cleanup is never nil and never fails the case: it only tidies the installation up.
func (e *Env) Build(ctx context.Context, needs Needs) (*World, func(), error) {
	w := NewWorld()
	var undo []func()
	cleanup := func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	if needs&NeedsApprovalPair != 0 {
		needs |= NeedsApproval
	}
	if needs&NeedsRemediationPair != 0 {
		needs |= NeedsRemediation
	}
	if needs&NeedsPrefixResource != 0 {
		needs |= NeedsResources
	}
	if needs&(NeedsService|NeedsResources|NeedsApproval|NeedsRemediation|NeedsHandledEvent|NeedsSibling) != 0 {
		needs |= NeedsProject | NeedsService
	}
	if creds := e.Target.Desc.Session; creds != nil {
		w.SessionUser, w.SessionPassword = creds.Username, creds.Password
	}
	if needs&MakesProject != 0 {
		undo = append(undo, func() { e.tidy("/api/v1/project/" + w.Project) })
	}
	cs := "/api/configuration-service/v1/project/" + w.Project
	steps := []struct {
		need Needs
		run  func() error
	}{
		{NeedsProject, func() error {
			if err := e.setup(ctx, "POST", "/api/v1/project", map[string]string{"name": w.Project, "shipyard": B64(w.Shipyard)}); err != nil {
				return err
			}
			undo = append(undo, func() { e.tidy("/api/v1/project/" + w.Project) })
			return e.await(ctx, "GET", cs+"/stage/"+w.OtherStage)
		}},
		{NeedsService, func() error {
			if err := e.setup(ctx, "POST", "/api/v1/project/"+w.Project+"/service", map[string]string{"serviceName": w.Service}); err != nil {
				return err
			}
			for _, st := range w.Stages {
				if err := e.await(ctx, "GET", cs+"/stage/"+st+"/service/"+w.Service); err != nil {
					return err
				}
			}
			return nil
		}},
		{NeedsResources, func() error {
			rs := []map[string]string{{"resourceURI": w.ResourceURI, "resourceContent": B64(w.ResourceContent)}}
			if needs&NeedsPrefixResource != 0 {
				rs = append(rs, map[string]string{"resourceURI": w.PrefixURI, "resourceContent": B64("prefix")})
			}
			body := map[string]any{"resources": rs}
			for _, level := range []string{cs, cs + "/stage/" + w.Stage, cs + "/stage/" + w.Stage + "/service/" + w.Service, cs + "/service/" + w.Service} {
				if err := e.setup(ctx, "POST", level+"/resource", body); err != nil {
					return err
				}
			}
			return nil
		}},
		{NeedsApproval, func() error {
			return e.setup(ctx, "POST", cs+"/stage/"+w.Stage+"/service/"+w.Service+"/approval",
				map[string]string{"keptnContext": w.ApprovalContext, "eventId": w.ApprovalID, "image": "registry.example/keptnexamples/carts", "tag": "0.11.1"})
		}},
		{NeedsRemediation, func() error {
			return e.setup(ctx, "POST", cs+"/stage/"+w.Stage+"/service/"+w.Service+"/remediation",
				map[string]string{"keptnContext": w.RemediationContext, "eventId": w.RemediationID, "type": "sh.keptn.event.remediation.triggered", "action": "scale"})
		}},
		{NeedsApprovalPair, func() error {
			return e.setup(ctx, "POST", cs+"/stage/"+w.Stage+"/service/"+w.Service+"/approval",
				map[string]string{"keptnContext": w.ApprovalContext, "eventId": w.OtherApprovalID, "image": "registry.example/keptnexamples/carts", "tag": "0.11.2"})
		}},
		{NeedsRemediationPair, func() error {
			return e.setup(ctx, "POST", cs+"/stage/"+w.Stage+"/service/"+w.Service+"/remediation",
				map[string]string{"keptnContext": w.OtherRemediationContext, "eventId": w.OtherRemediationID, "type": "sh.keptn.event.remediation.triggered", "action": "scale"})
		}},
		{NeedsSibling, func() error {
			if err := e.setup(ctx, "POST", cs+"/stage/"+w.Stage+"/service", map[string]string{"serviceName": w.Sibling}); err != nil {
				return err
			}
			return e.setup(ctx, "POST", cs+"/stage/"+w.Stage+"/service/"+w.Sibling+"/remediation",
				map[string]string{"keptnContext": w.RemediationContext, "eventId": NewUUID(), "type": "sh.keptn.event.remediation.triggered", "action": "scale"})
		}},
		{NeedsEvent, func() error {
			// api-service assigns the event's id (as upstream does); its Keptn context, a UUID, is kept.
			ev := map[string]any{
				"type": w.EventType, "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2",
				"shkeptncontext": w.EventContext,
				"data":           map[string]any{"project": w.Project, "stage": w.Stage, "service": w.Service},
			}
			if err := e.setup(ctx, "POST", "/api/v1/event", ev); err != nil {
				return err
			}
			ex, err := e.AwaitAnswer(ctx, "GET", "/api/mongodb-datastore/event?keptnContext="+w.EventContext+"&type="+w.EventType)
			if err != nil {
				return err
			}
			var page struct {
				Events []struct {
					ID string `json:"id"`
				} `json:"events"`
			}
			if json.Unmarshal(ex.RespBody, &page) != nil || len(page.Events) != 1 || page.Events[0].ID == "" {
				return setupError("finding the event just sent in the datastore", ex)
			}
			w.EventID = page.Events[0].ID
			return nil
		}},
		{NeedsEventPair, func() error {
			for _, marker := range []string{"first", "second"} {
				ev := map[string]any{
					"type": w.EventType, "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2",
					"shkeptncontext": w.NewContext, "data": map[string]any{"project": w.Project, "marker": marker},
				}
				if err := e.setup(ctx, "POST", "/api/v1/event", ev); err != nil {
					return err
				}
				// Each is awaited in the datastore: the second is sent only once the first is stored,
				// so it is the later one, and the case reads both.
				want := map[string]int{"first": 1, "second": 2}[marker]
				if err := e.awaitCount(ctx, "/api/mongodb-datastore/event?keptnContext="+w.NewContext, want); err != nil {
					return err
				}
			}
			return nil
		}},
		{NeedsHandledEvent, func() error {
			return e.setup(ctx, "POST", "/api/configuration-service/v1/event", map[string]any{
				"type": HandledType, "source": "https://github.com/keptn-conformance/suite", "specversion": "0.2",
				"shkeptncontext": NewUUID(), "id": w.HandledID, "time": time.Now().UTC().Format(time.RFC3339Nano),
				"data": map[string]any{"project": w.Project, "stage": w.Stage, "service": w.Service}})
		}},
		{NeedsBridge, func() error {
			return e.setup(ctx, "POST", "/api/v1/config/bridge", map[string]string{"user": w.BridgeUser, "password": w.BridgePassword})
		}},
		{NeedsSession, func() error {
			creds := e.Target.Desc.Session
			if creds == nil {
				return fmt.Errorf("the target has no session user")
			}
			ex, err := e.Do(ctx, "POST", "/api/auth", map[string]string{"username": creds.Username, "password": creds.Password}, false, "")
			if err != nil {
				return err
			}
			if ex.Status() != http.StatusOK {
				return setupError("logging in", ex)
			}
			for _, c := range ex.Response.Cookies() {
				if c.Value != "" {
					w.Session = c.Name + "=" + c.Value
				}
			}
			if w.Session == "" {
				return fmt.Errorf("set-up: logging in set no cookie")
			}
			return nil
		}},
	}
	for _, s := range steps {
		if needs&s.need == 0 {
			continue
		}
		if first := e.broken.cause(s.need); first != nil {
			cleanup()
			return nil, func() {}, fmt.Errorf("set-up not tried: an earlier world could not be built, and this one needs the same; the first failure:\n%w", first)
		}
		if err := s.run(); err != nil {
			var na neverAppeared
			if errors.As(err, &na) {
				e.broken.remember(s.need, err)
			}
			cleanup()
			return nil, func() {}, err
		}
	}
	return w, cleanup, nil
}

// do sends a set-up request with the token (or a session cookie).
func (e *Env) Do(ctx context.Context, method, path string, body any, withToken bool, cookie string) (*contract.Exchange, error) {
	h := http.Header{}
	if withToken {
		h.Set("x-token", e.Target.Token())
	}
	if cookie != "" {
		h.Set("Cookie", cookie)
	}
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
		h.Set("Content-Type", "application/json")
	}
	p, q, _ := strings.Cut(path, "?")
	return e.Target.Client(e.Base).Do(ctx, contract.Request{Method: method, Path: p, RawQuery: q, Header: h, Body: b})
}

// SetupError is a set-up request the gateway did not answer as it must.
type SetupError struct {
	What     string
	Exchange *contract.Exchange
}

func (e *SetupError) Error() string {
	return fmt.Sprintf("set-up failed while %s (the case could not be tried):\n%s", e.What, e.Exchange)
}

func setupError(what string, ex *contract.Exchange) error {
	return &SetupError{What: what, Exchange: ex}
}

// SetupNotImplemented is NotImplemented for a set-up's failure.
func SetupNotImplemented(err error, token string) string {
	var se *SetupError
	if errors.As(err, &se) {
		return NotImplemented(se.Exchange, token)
	}
	return ""
}

// setup sends one set-up request, which must succeed.
func (e *Env) setup(ctx context.Context, method, path string, body any) error {
	ex, err := e.Do(ctx, method, path, body, true, "")
	if err != nil {
		return err
	}
	if ex.Err != nil || ex.Status() < 200 || ex.Status() > 299 {
		return setupError(method+" "+path, ex)
	}
	return nil
}

// await polls a GET until it answers 2xx: Keptn makes projects and services asynchronously.
func (e *Env) await(ctx context.Context, method, path string) error {
	_, err := e.AwaitAnswer(ctx, method, path)
	return err
}

// AwaitAnswer polls a GET until it answers 2xx with something (a list with an item), and returns
// that answer.
func (e *Env) AwaitAnswer(ctx context.Context, method, path string) (*contract.Exchange, error) {
	return e.poll(ctx, method, path, "did not appear", func(ex *contract.Exchange) bool {
		return ex.Status() >= 200 && ex.Status() <= 299 && !strings.Contains(string(ex.RespBody), `"totalCount":0`)
	})
}

// awaitCount polls a list until its totalCount reaches n.
func (e *Env) awaitCount(ctx context.Context, path string, n int) error {
	_, err := e.poll(ctx, "GET", path, fmt.Sprintf("did not list %d items", n), func(ex *contract.Exchange) bool {
		var page struct {
			TotalCount int `json:"totalCount"`
		}
		return ex.Status() == 200 && json.Unmarshal(ex.RespBody, &page) == nil && page.TotalCount >= n
	})
	return err
}

// awaitStatus polls a GET until it answers status: Keptn deletes projects and services
// asynchronously.
func (e *Env) awaitStatus(ctx context.Context, path string, status int) error {
	_, err := e.poll(ctx, "GET", path, fmt.Sprintf("did not answer %d", status), func(ex *contract.Exchange) bool { return ex.Status() == status })
	return err
}

// poll sends a request until done holds for its answer or the suite's patience ends (then a
// neverAppeared error: the gateway never did what was asked, in words of failed).
func (e *Env) poll(ctx context.Context, method, path, failed string, done func(*contract.Exchange) bool) (*contract.Exchange, error) {
	deadline := time.Now().Add(e.Timeout)
	for {
		ex, err := e.Do(ctx, method, path, nil, true, "")
		if err != nil {
			return nil, err
		}
		if ex.Err == nil && done(ex) {
			return ex, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if time.Now().After(deadline) {
			return nil, neverAppeared{fmt.Errorf("set-up: %s %s within %s:\n%s", path, failed, e.Timeout, ex)}
		}
		select {
		case <-ctx.Done():
		case <-time.After(e.Interval):
		}
	}
}

// tidy deletes what set-up made; its outcome does not matter (the case may have deleted it).
func (e *Env) tidy(path string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = e.Do(ctx, "DELETE", path, nil, true, "")
}
