package cases

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Expectation is what part of an answer's JSON body must say. Paths are slash-separated keys, with
// "*" for every element of an array (or value of an object): "/stages/*/stageName".
type Expectation struct {
	Path  string
	Kind  string // eq, has, len, includes, includesuri, all, absent, contains, ne, nextpage, lastpage, time, uuid
	Value string // a template over the World
	N     int
}

// Eq: the value at path is exactly v.
func Eq(path, v string) Expectation { return Expectation{Path: path, Kind: "eq", Value: v} }

// Has: something non-empty is at path.
func Has(path string) Expectation { return Expectation{Path: path, Kind: "has"} }

// Len: an array of n elements is at path.
func Len(path string, n int) Expectation { return Expectation{Path: path, Kind: "len", N: n} }

// Includes: one of the values at path is v.
func Includes(path, v string) Expectation { return Expectation{Path: path, Kind: "includes", Value: v} }

// IncludesURI: one of the resource URIs at path is v, with or without one leading slash (a
// resource list's URIs, which upstream 0.7.3 writes as "/name": itemKey).
func IncludesURI(path, v string) Expectation {
	return Expectation{Path: path, Kind: "includesuri", Value: v}
}

// Every: there are values at path and every one is v.
func Every(path, v string) Expectation { return Expectation{Path: path, Kind: "all", Value: v} }

// Absent: nothing is at path.
func Absent(path string) Expectation { return Expectation{Path: path, Kind: "absent"} }

// Contains: the string at path contains v.
func Contains(path, v string) Expectation { return Expectation{Path: path, Kind: "contains", Value: v} }

// Ne: the value at path is there and is not v.
func Ne(path, v string) Expectation { return Expectation{Path: path, Kind: "ne", Value: v} }

// NextPage: the paging key at path names a further page: present, not empty and not "0".
func NextPage(path string) Expectation { return Expectation{Path: path, Kind: "nextpage"} }

// LastPage: the paging key at path ends the walk: absent, empty or "0" (the keptn CLI stops on
// an empty key or "0"; upstream's services answer "0" on the last page).
func LastPage(path string) Expectation { return Expectation{Path: path, Kind: "lastpage"} }

// Zero: the count or list at path is zero or empty, or absent: upstream's go-swagger models leave
// zero values out of their answers (omitempty), so a missing totalCount is a count of 0.
func Zero(path string) Expectation { return Expectation{Path: path, Kind: "zero"} }

// SameTime: the RFC 3339 time at path is the instant v names (a gateway may write it in another
// form: upstream's go-swagger services answer milliseconds, "2020-08-01T10:00:00.000Z").
func SameTime(path, v string) Expectation { return Expectation{Path: path, Kind: "time", Value: v} }

// EqOrAbsent: the value at path, if there is one, is v (for what a gateway need not answer, but
// must answer right when it does).
func EqOrAbsent(path, v string) Expectation {
	return Expectation{Path: path, Kind: "eqorabsent", Value: v}
}

// EqFold: the string at path is v, upper or lower case alike.
func EqFold(path, v string) Expectation { return Expectation{Path: path, Kind: "eqfold", Value: v} }

// NotValue: no value at path is v (there may be none).
func NotValue(path, v string) Expectation { return Expectation{Path: path, Kind: "notvalue", Value: v} }

// UUID: the string at path is an RFC 4122 UUID (its variant bits 10).
func UUID(path string) Expectation { return Expectation{Path: path, Kind: "uuid"} }

var uuidRE = regexp.MustCompile(`^(?i)[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// resolve returns the values at a path (more than one through "*" or a "[key=value]" selector).
func resolve(doc any, path string) []any {
	cur := []any{doc}
	for _, seg := range strings.Split(strings.Trim(path, "/"), "/") {
		if seg == "" {
			continue
		}
		var next []any
		for _, v := range cur {
			switch t := v.(type) {
			case map[string]any:
				if seg == "*" {
					for _, x := range t {
						next = append(next, x)
					}
				} else if x, ok := t[seg]; ok {
					next = append(next, x)
				}
			case []any:
				if seg == "*" {
					next = append(next, t...)
				} else if k, v, ok := selector(seg); ok {
					for _, x := range t {
						if m, isMap := x.(map[string]any); isMap && scalar(m[k]) == v {
							next = append(next, x)
						}
					}
				} else if i, err := strconv.Atoi(seg); err == nil && i >= 0 && i < len(t) {
					next = append(next, t[i])
				}
			}
		}
		cur = next
	}
	return cur
}

// selector reads a path segment "[key=value]": the elements of an array whose key is value (the
// stage of a stageInfo list by its name, whatever the list's order).
func selector(seg string) (key, value string, ok bool) {
	inner, found := strings.CutPrefix(seg, "[")
	if inner, found = strings.CutSuffix(inner, "]"); !found {
		return "", "", false
	}
	return strings.Cut(inner, "=")
}

func scalar(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case json.Number:
		return t.String()
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(t)
	case nil:
		return "null"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// check evaluates the expectation on a decoded body; "" means it holds.
func (e Expectation) check(doc any, w *World) (string, error) {
	want, err := render(e.Value, w)
	if err != nil {
		return "", err
	}
	path, err := render(e.Path, w)
	if err != nil {
		return "", err
	}
	e.Path = path // a path may name a key of the world's (a stage's name)
	got := resolve(doc, e.Path)
	vals := make([]string, len(got))
	for i, g := range got {
		vals[i] = scalar(g)
	}
	short := func() string {
		s := strings.Join(vals, ", ")
		if len(s) > 300 {
			s = s[:300] + "..."
		}
		return "[" + s + "]"
	}
	switch e.Kind {
	case "eq":
		if len(got) != 1 || vals[0] != want {
			return fmt.Sprintf("%s must be %q, is %s", e.Path, want, short()), nil
		}
	case "eqorabsent":
		if len(got) > 1 || len(got) == 1 && vals[0] != want {
			return fmt.Sprintf("%s, when answered, must be %q, is %s", e.Path, want, short()), nil
		}
	case "eqfold":
		if len(got) != 1 || !strings.EqualFold(vals[0], want) {
			return fmt.Sprintf("%s must be %q (in either case), is %s", e.Path, want, short()), nil
		}
	case "notvalue":
		if slices.Contains(vals, want) {
			return fmt.Sprintf("%s must not be %q, is %s", e.Path, want, short()), nil
		}
	case "has":
		if len(got) == 0 || vals[0] == "" || vals[0] == "null" {
			return fmt.Sprintf("%s must be present and not empty", e.Path), nil
		}
	case "len":
		arr, ok := first(got).([]any)
		if e.N == 0 && len(got) == 1 && got[0] == nil {
			break // an empty list written as null, as upstream's go-swagger services do (a SHOULD of the schema check)
		}
		if !ok || len(arr) != e.N {
			n := -1
			if ok {
				n = len(arr)
			}
			return fmt.Sprintf("%s must have %d elements, has %d", e.Path, e.N, n), nil
		}
	case "includes":
		for _, v := range vals {
			if v == want {
				return "", nil
			}
		}
		return fmt.Sprintf("%s must include %q, holds %s", e.Path, want, short()), nil
	case "includesuri":
		for _, v := range vals {
			if strings.TrimPrefix(v, "/") == strings.TrimPrefix(want, "/") {
				return "", nil
			}
		}
		return fmt.Sprintf("%s must include %q (with or without a leading /), holds %s", e.Path, want, short()), nil
	case "all":
		if len(vals) == 0 {
			return fmt.Sprintf("%s must hold %q, holds nothing", e.Path, want), nil
		}
		for _, v := range vals {
			if v != want {
				return fmt.Sprintf("every %s must be %q, they are %s", e.Path, want, short()), nil
			}
		}
	case "absent":
		if len(got) > 0 {
			return fmt.Sprintf("%s must not be in the answer", e.Path), nil
		}
	case "contains":
		if len(got) != 1 || !strings.Contains(vals[0], want) {
			return fmt.Sprintf("%s must contain %q, is %s", e.Path, want, short()), nil
		}
	case "ne":
		if len(got) != 1 || vals[0] == want {
			return fmt.Sprintf("%s must be there and not be %q, is %s", e.Path, want, short()), nil
		}
	case "nextpage":
		if len(got) != 1 || vals[0] == "" || vals[0] == "0" || vals[0] == "null" {
			return fmt.Sprintf("%s must name the next page (more items are due), is %s", e.Path, short()), nil
		}
	case "lastpage":
		if len(got) > 1 || len(got) == 1 && vals[0] != "" && vals[0] != "0" && vals[0] != "null" {
			return fmt.Sprintf("%s must end the walk on the last page (absent, empty or \"0\"), is %s", e.Path, short()), nil
		}
	case "zero":
		if len(got) > 1 || len(got) == 1 && vals[0] != "0" && vals[0] != "null" && vals[0] != "[]" {
			return fmt.Sprintf("%s must be 0, empty or absent, is %s", e.Path, short()), nil
		}
	case "uuid":
		if len(got) != 1 || !uuidRE.MatchString(vals[0]) {
			return fmt.Sprintf("%s must be an RFC 4122 UUID, is %s", e.Path, short()), nil
		}
	case "time":
		at, err := time.Parse(time.RFC3339Nano, want)
		if err != nil {
			return "", fmt.Errorf("expectation %s: %q is not an RFC 3339 time", e.Path, want)
		}
		if len(got) != 1 {
			return fmt.Sprintf("%s must be the time %s, is %s", e.Path, want, short()), nil
		}
		if t, err := time.Parse(time.RFC3339Nano, vals[0]); err != nil || !t.Equal(at) {
			return fmt.Sprintf("%s must be the time %s, is %s", e.Path, want, short()), nil
		}
	default:
		return "", fmt.Errorf("unknown expectation %q", e.Kind)
	}
	return "", nil
}

func first(v []any) any {
	if len(v) == 0 {
		return nil
	}
	return v[0]
}
