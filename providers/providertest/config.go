package providertest

import (
	"errors"
	"strings"
	"testing"

	"github.com/paycancel/paycancel/providers"
)

// BadConfig is one spoilt configuration for RejectsConfigs: Edit spoils a copy
// of a good Config, and New must refuse it with a FieldError on Field.
type BadConfig[C any] struct {
	Field string
	Edit  func(*C)
}

// RejectsConfigs checks that newFn accepts good, then runs it on good spoilt by
// each row and fails t unless the error is a FieldError on the row's field whose
// text quotes none of secrets (key material and secret values never reach an
// error message).
func RejectsConfigs[C any](t testing.TB, good C, newFn func(C) error, secrets []string, rows []BadConfig[C]) {
	t.Helper()
	// A good configuration that fails already would make every row pass.
	if err := newFn(good); err != nil {
		t.Fatalf("the good configuration is refused: %v", err)
	}
	for i, r := range rows {
		cfg := good
		r.Edit(&cfg)
		err := newFn(cfg)
		var fe *providers.FieldError
		if !errors.As(err, &fe) || fe.Field != r.Field {
			t.Errorf("row %d: err = %v, want a FieldError on %s", i, err, r.Field)
			continue
		}
		for _, s := range secrets {
			if strings.Contains(err.Error(), s) {
				t.Errorf("row %d (%s): error leaks secret material: %v", i, r.Field, err)
			}
		}
	}
}
