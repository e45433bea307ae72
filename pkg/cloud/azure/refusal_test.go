package azure_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/cloudtest"
)

// refusing is a platform that refuses with its own words: Validate and
// Prepare fail as Azure does for a subscription not registered for
// migration (400 BadRequest), Commit as a state conflict (409).
type refusing struct {
	cloud.Migrator
}

const notRegistered = "The subscription is not registered for migration."

func (refusing) Validate(context.Context, cloud.Target) ([]cloud.Message, error) {
	return nil, &cloud.OperationError{Op: "Validate", Code: "BadRequest", Message: notRegistered}
}

func (refusing) Prepare(_ context.Context, t cloud.Target) error {
	return &cloud.OperationError{Op: "Prepare", Unit: t.Unit, Code: "BadRequest", Message: notRegistered}
}

func (refusing) Commit(_ context.Context, t cloud.Target) error {
	return &cloud.StateError{Op: "Commit", Unit: t.Unit, State: cloud.StateNone}
}

// TestRefusalKeepsPlatformWords checks a 400 BadRequest is never turned
// into a state refusal and that every refusal carries the platform's code
// and message.
func TestRefusalKeepsPlatformWords(t *testing.T) {
	e := newEnv(t, cloudtest.Inventory(), setup{wrap: func(m cloud.Migrator) cloud.Migrator { return refusing{m} }})
	ctx := t.Context()
	tg := cloudtest.Target(cloudtest.UnitLegacy)

	_, err := e.driver.Validate(ctx, tg)
	var se *cloud.StateError
	if err == nil || errors.As(err, &se) || !strings.Contains(err.Error(), notRegistered) || !strings.Contains(err.Error(), "BadRequest") {
		t.Errorf("Validate = %v, want the platform's BadRequest and message, not a state refusal", err)
	}

	err = e.driver.Prepare(ctx, tg)
	var oe *cloud.OperationError
	if !errors.As(err, &oe) || oe.Code != "BadRequest" || oe.Message != notRegistered {
		t.Errorf("Prepare = %v, want *cloud.OperationError with the platform's code and message", err)
	}

	err = e.driver.Commit(ctx, tg)
	if !errors.As(err, &se) || se.Code != "ConflictError" || se.Message == "" || se.State != cloud.StateNone {
		t.Errorf("Commit = %v, want *cloud.StateError with ConflictError, the message and state None", err)
	}
}
