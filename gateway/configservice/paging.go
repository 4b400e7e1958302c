package configservice

import (
	"errors"
	"math"
	"net/http"
	"strconv"

	"github.com/keptn-conformance/keptn-conformance/gateway/internal/httpx"
)

// Page sizes of the lists.
const (
	defaultPageSize = 20
	maxPageSize     = 50
)

// paging is the page a list request asks for: nextPageKey is the decimal offset of the first
// item.
type paging struct {
	offset int
	size   int
}

// parsePaging reads the list query parameters pageSize, nextPageKey and disableUpstreamSync
// (accepted and ignored). An empty value counts as absent, as upstream does.
func parsePaging(r *http.Request) (paging, error) {
	q := r.URL.Query()
	p := paging{size: defaultPageSize}
	if v := q.Get("pageSize"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPageSize {
			return p, badRequest("pageSize must be an integer from 1 to %d, got %q", maxPageSize, v)
		}
		p.size = n
	}
	if v := q.Get("nextPageKey"); v != "" {
		n, err := strconv.ParseUint(v, 10, 63)
		switch {
		case errors.Is(err, strconv.ErrRange):
			p.offset = math.MaxInt // a valid key, past any end
		case err != nil:
			return p, badRequest("nextPageKey must be a key from an earlier answer (a non-negative integer), got %q", v)
		default:
			p.offset = int(n)
		}
	}
	if v := q.Get("disableUpstreamSync"); v != "" {
		if _, err := strconv.ParseBool(v); err != nil {
			return p, badRequest("disableUpstreamSync must be a boolean, got %q", v)
		}
	}
	return p, nil
}

// writePage answers 200 with the page of items under key in the list envelope. totalCount
// counts all items; nextPageKey is "0" on the last page. The items are never null.
func writePage[T any](w http.ResponseWriter, p paging, key string, items []T) {
	page := make([]T, 0, min(p.size, len(items)))
	next := "0"
	if p.offset < len(items) {
		end := min(len(items), p.offset+p.size)
		page = append(page, items[p.offset:end]...)
		if end < len(items) {
			next = strconv.Itoa(end)
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"nextPageKey": next,
		"totalCount":  len(items),
		"pageSize":    p.size,
		key:           page,
	})
}
