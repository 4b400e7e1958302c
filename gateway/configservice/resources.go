package configservice

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// maxURILen bounds a resourceURI (bbolt keys are limited to 32 KiB).
const maxURILen = 1024

// level is where resources live: a project (stage and service empty), a stage (service
// empty), a service of a stage, or a service's defaults used in all stages (stage empty).
// The levels are separate: a lookup at one never falls back to another.
type level struct {
	project, stage, service string
}

// levelOf reads the level from the path values of a resource route.
func levelOf(r *http.Request) level {
	return level{project: r.PathValue("projectName"), stage: r.PathValue("stageName"), service: r.PathValue("serviceName")}
}

// key is the level's key in the bucket "resources": "p/<project>", "p/<project>/s/<stage>",
// "p/<project>/s/<stage>/v/<service>" or "p/<project>/d/<service>". Names never hold "/", so
// the keys of a level and of the levels below it share the prefix key+"/".
func (l level) key() string {
	switch {
	case l.stage != "" && l.service != "":
		return "p/" + l.project + "/s/" + l.stage + "/v/" + l.service
	case l.stage != "":
		return "p/" + l.project + "/s/" + l.stage
	case l.service != "":
		return "p/" + l.project + "/d/" + l.service
	}
	return "p/" + l.project
}

// resourceKey is the key of a resource: its level's key, NUL, its URI (URIs hold no NUL, so
// a level's resources are exactly the keys with the prefix key+"\x00", in URI order).
func resourceKey(l level, uri string) string { return l.key() + "\x00" + uri }

// check returns a *missingError when the level's project, stage or service does not exist. A
// service's defaults exist while the service exists in at least one stage.
func (l level) check(tx *store.Tx) error {
	switch {
	case l.stage != "" && l.service != "":
		_, _, err := loadService(tx, l.project, l.stage, l.service)
		return err
	case l.stage != "":
		_, _, err := loadStage(tx, l.project, l.stage)
		return err
	}
	p, err := loadProject(tx, l.project)
	if err == nil && l.service != "" && !p.hasService(l.service) {
		err = &missingError{fmt.Sprintf("service %q does not exist in any stage of project %q", l.service, l.project)}
	}
	return err
}

// deleteResources deletes the resources of a level and of every level below it.
func deleteResources(tx *store.Tx, l level) error {
	if err := store.DeletePrefix(tx, bucketResources, l.key()+"\x00"); err != nil {
		return err
	}
	return store.DeletePrefix(tx, bucketResources, l.key()+"/")
}

// deleteOrphanDefaults deletes a service's default resources once no stage of p has it.
func deleteOrphanDefaults(tx *store.Tx, p *projectRecord, service string) error {
	if p.hasService(service) {
		return nil
	}
	return deleteResources(tx, level{project: p.Name, service: service})
}

// cleanURI validates a resourceURI and trims one leading "/". It rejects empty URIs and
// segments, "." and ".." segments, backslashes, control characters and invalid UTF-8.
func cleanURI(uri string) (string, error) {
	uri = strings.TrimPrefix(uri, "/")
	switch {
	case uri == "":
		return "", errors.New("resourceURI is empty")
	case len(uri) > maxURILen:
		return "", fmt.Errorf("resourceURI is longer than %d bytes", maxURILen)
	case !utf8.ValidString(uri):
		return "", fmt.Errorf("resourceURI %q is not valid UTF-8", uri)
	case strings.Contains(uri, `\`):
		return "", fmt.Errorf("resourceURI %q holds a backslash", uri)
	case strings.ContainsFunc(uri, func(c rune) bool { return c < 0x20 || c == 0x7f }):
		return "", fmt.Errorf("resourceURI %q holds a control character", uri)
	}
	// "." segments name the directory they are in (the keptn CLI sends "./slo.yaml" when given a
	// relative file and no URI): drop them. ".." would climb out: refuse it.
	var segs []string
	for seg := range strings.SplitSeq(uri, "/") {
		switch seg {
		case ".":
			continue
		case "", "..":
			return "", fmt.Errorf("resourceURI %q has an empty or \"..\" segment", uri)
		}
		segs = append(segs, seg)
	}
	if len(segs) == 0 {
		return "", fmt.Errorf("resourceURI %q names no file", uri)
	}
	return strings.Join(segs, "/"), nil
}

// getResources: GET .../resource at any level, the URIs in URI order.
func (s *Service) getResources(w http.ResponseWriter, r *http.Request) {
	pg, err := parsePaging(r)
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	l := levelOf(r)
	var out []resourceURIOnly
	err = s.db.View(func(tx *store.Tx) error {
		if err := l.check(tx); err != nil {
			return err
		}
		prefix := l.key() + "\x00"
		return store.ForEachPrefix(tx, bucketResources, prefix, func(key string, _ []byte) error {
			out = append(out, resourceURIOnly{ResourceURI: key[len(prefix):]})
			return nil
		})
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	writePage(w, pg, "resources", out)
}

// getResource: GET .../resource/{resourceURI} at any level, with the content.
func (s *Service) getResource(w http.ResponseWriter, r *http.Request) {
	uri, err := cleanURI(r.PathValue("resourceURI"))
	if err != nil {
		httpx.WriteError(w, http.StatusNotFound, "%v", err)
		return
	}
	l := levelOf(r)
	var content []byte
	err = s.db.View(func(tx *store.Tx) error {
		if err := l.check(tx); err != nil {
			return err
		}
		err := store.Get(tx, bucketResources, resourceKey(l, uri), &content)
		if errors.Is(err, store.ErrNotFound) {
			return &missingError{fmt.Sprintf("resource %q does not exist", uri)}
		}
		return err
	})
	if err != nil {
		s.fail(w, r, err, http.StatusNotFound)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, resourceWithContent{ResourceURI: uri, ResourceContent: base64.StdEncoding.EncodeToString(content)})
}

// putResources: POST and PUT .../resource at any level, adding or replacing every resource of
// the body as one change.
func (s *Service) putResources(w http.ResponseWriter, r *http.Request) {
	var body resourcesBody
	if err := httpx.DecodeJSON(r, &body); err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	if len(body.Resources) == 0 {
		s.fail(w, r, badRequest("resources must hold at least one resource"), http.StatusBadRequest)
		return
	}
	files := make(map[string][]byte, len(body.Resources))
	for i, res := range body.Resources {
		uri, err := cleanURI(res.ResourceURI)
		if err != nil {
			s.fail(w, r, badRequest("resources[%d]: %v", i, err), http.StatusBadRequest)
			return
		}
		content, err := decodeContent(res.ResourceContent)
		if err != nil {
			s.fail(w, r, badRequest("resources[%d]: %v", i, err), http.StatusBadRequest)
			return
		}
		files[uri] = content
	}
	s.writeResources(w, r, files)
}

// putResource: PUT .../resource/{resourceURI} at any level. The body is a Resource, whose
// resourceURI the spec requires; the URI in the path wins over the body's.
func (s *Service) putResource(w http.ResponseWriter, r *http.Request) {
	uri, err := cleanURI(r.PathValue("resourceURI"))
	if err != nil {
		s.fail(w, r, badRequest("%v", err), http.StatusBadRequest)
		return
	}
	var body resourceBody
	if err := httpx.DecodeJSON(r, &body); err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	if body.ResourceURI == "" {
		s.fail(w, r, badRequest("resourceURI is required"), http.StatusBadRequest)
		return
	}
	content, err := decodeContent(body.ResourceContent)
	if err != nil {
		s.fail(w, r, badRequest("%v", err), http.StatusBadRequest)
		return
	}
	s.writeResources(w, r, map[string][]byte{uri: content})
}

// writeResources stores files (URI to content) at the request's level as one change and
// answers 201 with the new version.
func (s *Service) writeResources(w http.ResponseWriter, r *http.Request, files map[string][]byte) {
	l := levelOf(r)
	var v string
	err := s.db.Update(func(tx *store.Tx) error {
		if err := l.check(tx); err != nil {
			return err
		}
		keys := make([]string, 0, len(files))
		for uri, content := range files {
			key := resourceKey(l, uri)
			if err := store.Put(tx, bucketResources, key, content); err != nil {
				return err
			}
			keys = append(keys, key)
		}
		var err error
		v, err = nextVersion(tx, l.project, "write", keys)
		return err
	})
	if err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	httpx.WriteJSON(w, http.StatusCreated, version{Version: v})
}

// deleteResource: DELETE .../resource/{resourceURI} at any level.
func (s *Service) deleteResource(w http.ResponseWriter, r *http.Request) {
	uri, err := cleanURI(r.PathValue("resourceURI"))
	if err != nil {
		s.fail(w, r, badRequest("%v", err), http.StatusBadRequest)
		return
	}
	l := levelOf(r)
	err = s.db.Update(func(tx *store.Tx) error {
		if err := l.check(tx); err != nil {
			return err
		}
		key := resourceKey(l, uri)
		if !store.Exists(tx, bucketResources, key) {
			return &missingError{fmt.Sprintf("resource %q does not exist", uri)}
		}
		if err := store.Delete(tx, bucketResources, key); err != nil {
			return err
		}
		_, err := nextVersion(tx, l.project, "delete", []string{key})
		return err
	})
	if err != nil {
		s.fail(w, r, err, http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// decodeContent decodes a resourceContent (base64, standard encoding).
func decodeContent(content string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(content)
	if err != nil {
		return nil, fmt.Errorf("resourceContent is not valid base64: %v", err)
	}
	return b, nil
}

// nextVersion records a change of the project's resources and returns the project's new
// version: the SHA-1 (hex, like a git commit) of the previous version, the time and the change.
func nextVersion(tx *store.Tx, project, op string, keys []string) (string, error) {
	var prev string
	if err := store.Get(tx, bucketVersions, project, &prev); err != nil && !errors.Is(err, store.ErrNotFound) {
		return "", err
	}
	sum := sha1.Sum([]byte(prev + "\x00" + nowNanos() + "\x00" + op + "\x00" + strings.Join(keys, "\x00")))
	v := hex.EncodeToString(sum[:])
	return v, store.Put(tx, bucketVersions, project, v)
}
