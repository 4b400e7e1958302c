package selftest

import (
	"strings"
	"sync"

	"github.com/keptn-conformance/keptn-conformance/conformance/cases"
	"github.com/keptn-conformance/keptn-conformance/conformance/grade"
)

var (
	levelsOnce sync.Once
	levelNames map[string]grade.Level
)

// checkLevels are the level of every named check of the catalogue (cases, gateway checks, the
// token matrix), by its name; a zero grade is a MUST.
func checkLevels() map[string]grade.Level {
	levelsOnce.Do(func() {
		levelNames = map[string]grade.Level{}
		add := func(name string, g grade.Grade) {
			l := g.Level
			if l == "" {
				l = grade.Must
			}
			levelNames[name] = l
		}
		for _, c := range cases.All() {
			add(c.Name(), c.Grade)
		}
		for _, rc := range cases.RouteChecks() {
			add(rc.Name(), rc.Grade)
		}
		matrix, err := cases.TokenMatrix()
		if err != nil {
			panic(err)
		}
		for _, a := range matrix {
			add(a.Name(), a.Grade)
		}
	})
	return levelNames
}

// LevelOf is the level of a spec of the report (its full text): that of the longest catalogue
// check name it holds, MUST when it holds none (the profiles' own checks are MUSTs unless the
// catalogue says otherwise).
func LevelOf(spec string) grade.Level {
	best, level := 0, grade.Must
	for name, l := range checkLevels() {
		if len(name) > best && strings.Contains(spec, name) {
			best, level = len(name), l
		}
	}
	return level
}

// FailedAt lists the failed specs of a run at a level.
func (o Outcome) FailedAt(level grade.Level) []string {
	var out []string
	for _, p := range o.Report.Profiles {
		for _, s := range p.FailedSpecs {
			if LevelOf(s) == level {
				out = append(out, p.Name+": "+s)
			}
		}
	}
	return out
}
