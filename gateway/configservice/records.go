package configservice

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// maxNameLen bounds project, stage and service names.
const maxNameLen = 200

var namePattern = regexp.MustCompile(`^[a-z][a-z0-9-]*$`)

// checkName validates a project, stage or service name (what says which, for the message).
func checkName(what, name string) error {
	switch {
	case name == "":
		return badRequest("%s is required", what)
	case len(name) > maxNameLen:
		return badRequest("%s must be at most %d characters", what, maxNameLen)
	case !namePattern.MatchString(name):
		return badRequest("%s %q is invalid: it must start with a lower-case letter and hold only lower-case letters, digits and '-'", what, name)
	}
	return nil
}

// loadProject reads a project's record; a *missingError when there is none.
func loadProject(tx *store.Tx, name string) (*projectRecord, error) {
	var p projectRecord
	err := store.Get(tx, bucketProjects, name, &p)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &missingError{fmt.Sprintf("project %q does not exist", name)}
	}
	if err != nil {
		return nil, fmt.Errorf("reading project %q: %w", name, err)
	}
	return &p, nil
}

// saveProject writes a project's record.
func saveProject(tx *store.Tx, p *projectRecord) error {
	return store.Put(tx, bucketProjects, p.Name, p)
}

// loadStage reads a project's record and finds one of its stages.
func loadStage(tx *store.Tx, project, stage string) (*projectRecord, *stageRecord, error) {
	p, err := loadProject(tx, project)
	if err != nil {
		return nil, nil, err
	}
	st := p.stage(stage)
	if st == nil {
		return nil, nil, &missingError{fmt.Sprintf("stage %q does not exist in project %q", stage, project)}
	}
	return p, st, nil
}

// loadService reads a project's record and finds a service of one of its stages.
func loadService(tx *store.Tx, project, stage, service string) (*projectRecord, *serviceRecord, error) {
	p, st, err := loadStage(tx, project, stage)
	if err != nil {
		return nil, nil, err
	}
	svc := st.service(service)
	if svc == nil {
		return nil, nil, &missingError{fmt.Sprintf("service %q does not exist in stage %q of project %q", service, stage, project)}
	}
	return p, svc, nil
}

// allProjects reads every project record, in creation order.
func allProjects(tx *store.Tx) ([]*projectRecord, error) {
	var out []*projectRecord
	err := store.ForEach(tx, bucketProjects, func(k, v []byte) error {
		var p projectRecord
		if err := json.Unmarshal(v, &p); err != nil {
			return fmt.Errorf("reading project %q: %w", k, err)
		}
		out = append(out, &p)
		return nil
	})
	sort.Slice(out, func(i, j int) bool { return out[i].Seq < out[j].Seq })
	return out, err
}

// nowNanos is a creation date as upstream writes it: unix nanoseconds in decimal.
func nowNanos() string { return strconv.FormatInt(time.Now().UnixNano(), 10) }
