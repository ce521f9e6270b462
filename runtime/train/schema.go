package train

import (
	"fmt"

	"ssdgm/lang/check"
	"ssdgm/lang/diag"
	"ssdgm/runtime/data"
)

// CheckSchema holds a model's declared data and labels against a dataset:
// the data shape must match, and every label a variable is supervised with
// must exist in the dataset with the same type. Problems are positioned at
// the declarations in the spec.
func CheckSchema(m *check.Model, dataset string, schema data.Schema, shape [3]int) error {
	var errs diag.List
	want := check.Shape{shape[0], shape[1], shape[2]}
	got := m.Data.Shape
	if !got.Equal(want) && got.Size() != want.Size() {
		d := errs.Add(m.Data.Enc.Pos, diag.Pos{}, "dataset %s has images of shape %s, but the spec declares `%s` with shape %s", dataset, want, m.Data.Name, got)
		d.Suggest = fmt.Sprintf("declare `data %s: image%s`", m.Data.Name, want)
	}
	for _, l := range m.Labels {
		if l.Var == nil {
			continue // declared but not bound: nothing to check
		}
		dl, ok := schema.Lookup(l.Name)
		if !ok {
			d := errs.Add(l.Pos, diag.Pos{}, "dataset %s has no label %q (it has %v)", dataset, l.Name, schema.Names())
			d.Suggest = diag.DidYouMean(l.Name, schema.Names())
			continue
		}
		switch {
		case l.Kind == check.Discrete && dl.Kind != data.Categorical:
			errs.Add(l.Pos, diag.Pos{}, "label %q of dataset %s is continuous, but the spec declares it categorical", l.Name, dataset)
		case l.Kind == check.Continuous && dl.Kind != data.Continuous:
			errs.Add(l.Pos, diag.Pos{}, "label %q of dataset %s is categorical, but the spec declares it real-valued", l.Name, dataset)
		case l.Kind == check.Discrete && dl.Classes != l.Classes:
			errs.Add(l.Pos, diag.Pos{}, "label %q of dataset %s has %d classes, but the spec declares %d", l.Name, dataset, dl.Classes, l.Classes)
		case l.Kind == check.Continuous && dl.Dim != l.Dim:
			errs.Add(l.Pos, diag.Pos{}, "label %q of dataset %s has %d values, but the spec declares %d", l.Name, dataset, dl.Dim, l.Dim)
		case dl.Slots != l.Slots:
			errs.Add(l.Pos, diag.Pos{}, "label %q of dataset %s has %d slots, but the spec declares %d", l.Name, dataset, dl.Slots, l.Slots)
		}
	}
	if m.Data.Shape.Size() != want.Size() {
		return errs.Err()
	}
	return errs.Err()
}
