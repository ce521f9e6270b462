package check

import (
	"reflect"
	"testing"
)

// TestErrorfPositionsAreTyped: the position parameters of the checker's
// reporting methods are concrete types, so that a position of another
// type is a compile error instead of a diagnostic silently placed at no
// position.
func TestErrorfPositionsAreTyped(t *testing.T) {
	for name, f := range map[string]any{"errorf": (*checker).errorf, "errorAt": (*checker).errorAt} {
		ft := reflect.TypeOf(f)
		for i := 1; i <= 2; i++ {
			if k := ft.In(i).Kind(); k == reflect.Interface {
				t.Errorf("%s's position parameter %d is an interface (%s)", name, i, ft.In(i))
			}
		}
	}
}
