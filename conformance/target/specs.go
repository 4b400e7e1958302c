package target

import (
	"context"
	"sync"

	"github.com/keptn-conformance/keptn-conformance/conformance/specsource"
)

// inUseSpecs are the documents of --specs, loaded once per process.
type inUseSpecs struct {
	once sync.Once
	set  *specsource.Set
	v    *specsource.Validator
	err  error
}

// InUse returns the documents of --specs and a validator for them, loaded once per process from
// the target (served) or the user's directory or URL; nil, nil with the bundled documents only.
func (t *Target) InUse(ctx context.Context) (*specsource.Set, *specsource.Validator, error) {
	t.inUse.once.Do(func() {
		src, err := specsource.Parse(t.Desc.Specs)
		if err != nil || src.Kind == specsource.Bundled {
			t.inUse.err = err
			return
		}
		src.Layout = t.layout
		base := t.Base()
		t.inUse.set, t.inUse.err = specsource.Load(ctx, src, base, t.Client(base).HTTP)
		if t.inUse.err == nil {
			t.inUse.v = specsource.NewValidator(t.inUse.set)
		}
	})
	return t.inUse.set, t.inUse.v, t.inUse.err
}

// checkSpecs loads the documents of --specs once at set-up, so that a wrong value or an unusable
// document stops the run with one message before any check runs.
func checkSpecs(ctx context.Context, d *Description, specs string) error {
	d.Specs = specs
	t, err := Connect(d)
	if err != nil {
		return err
	}
	_, _, err = t.InUse(ctx)
	return err
}
