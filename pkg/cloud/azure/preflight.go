package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Resource providers Preflight checks.
const (
	ProviderClassicMigrate = "Microsoft.ClassicInfrastructureMigrate"
	ProviderCompute        = "Microsoft.Compute"
)

// ProviderError is a resource provider the subscription is not registered
// for: what it breaks and the command that fixes it.
type ProviderError struct {
	Subscription string
	Namespace    string
	// State is the registrationState read ("NotRegistered", "Registering",
	// ...).
	State string
	// Symptom is what goes wrong without it.
	Symptom string
	// Fix is the command that registers it.
	Fix string
}

func (e *ProviderError) Error() string {
	return fmt.Sprintf("subscription %s: resource provider %s is %s, not Registered: %s; fix: %s (registration takes a few minutes; run preflight again until it reports Registered)",
		e.Subscription, e.Namespace, e.State, e.Symptom, e.Fix)
}

// Preflight checks, before anything changes, that the subscription can
// migrate: registered for Microsoft.ClassicInfrastructureMigrate on Azure
// clouds; on Azure Stack Hub, which has no classic side and so no
// migration provider, for Microsoft.Compute only (without it every disk
// call fails with "Internal error in disk manager"). Each failure is a
// *ProviderError naming the fix; all of them are reported together.
func (d *Driver) Preflight(ctx context.Context) error {
	type check struct{ ns, symptom string }
	checks := []check{
		{ProviderClassicMigrate, "the platform refuses every Validate, Prepare, Commit and Abort of a classic resource"},
	}
	if d.ep.stackHub {
		checks = []check{{ProviderCompute, `disk and VM calls fail with "Internal error in disk manager"`}}
	}
	var errs []error
	for _, c := range checks {
		state, err := d.registration(ctx, c.ns)
		if err != nil {
			errs = append(errs, fmt.Errorf("preflight: %w", err))
			continue
		}
		if !strings.EqualFold(state, "Registered") {
			errs = append(errs, &ProviderError{Subscription: d.cfg.SubscriptionID, Namespace: c.ns, State: state,
				Symptom: c.symptom, Fix: "az provider register --namespace " + c.ns})
		}
	}
	return errors.Join(errs...)
}

// registration reads a provider's registrationState through the Resource
// Manager pipeline.
func (d *Driver) registration(ctx context.Context, ns string) (string, error) {
	u := strings.TrimSuffix(d.ep.arm, "/") + "/subscriptions/" + url.PathEscape(d.cfg.SubscriptionID) +
		"/providers/" + url.PathEscape(ns) + "?api-version=" + url.QueryEscape(d.ep.api.Resources)
	_, b, err := d.call(ctx, d.arm, http.MethodGet, u, nil)
	if err != nil {
		return "", fmt.Errorf("read provider %s: %w", ns, err)
	}
	var v struct {
		RegistrationState string `json:"registrationState"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return "", fmt.Errorf("read provider %s: %w", ns, err)
	}
	if v.RegistrationState == "" {
		return "", fmt.Errorf("read provider %s: no registrationState in the answer", ns)
	}
	return v.RegistrationState, nil
}

// armError is a Resource Manager error body.
type armError struct {
	Code    string
	Message string
}

func parseARMError(b []byte) (armError, bool) {
	var v struct {
		Error armError `json:"error"`
	}
	if json.Unmarshal(b, &v) != nil || v.Error.Code == "" {
		return armError{}, false
	}
	return v.Error, true
}
