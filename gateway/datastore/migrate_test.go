package datastore

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/store"
)

// A store written before the indexes existed is indexed when it is opened.
func TestOldStoresAreIndexed(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, nil, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	for _, ctx := range []string{"11111111-1111-4111-8111-111111111111", "22222222-2222-4222-8222-222222222222"} {
		req := httptest.NewRequest("POST", "/event", strings.NewReader(`{"type":"t","source":"s","shkeptncontext":"`+ctx+`","data":{}}`))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		if rec.Code != http.StatusCreated {
			t.Fatalf("storing: %d", rec.Code)
		}
	}
	// Make it an old store: no index entries.
	err = s.db.Update(func(tx *store.Tx) error {
		for _, ix := range indexes {
			if err := store.DeletePrefix(tx, ix.bucket, ""); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	s.Close()

	s, err = Open(dir, nil, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/event?keptnContext=22222222-2222-4222-8222-222222222222", nil))
	if !strings.Contains(rec.Body.String(), `"totalCount":1`) {
		t.Errorf("after reopening: %s", rec.Body)
	}
}
