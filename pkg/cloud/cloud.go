package cloud

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// State is the platform's migration state of a unit's resources.
type State string

// The platform's migration states. A successful Abort returns a unit to None.
const (
	StateNone          State = "None"
	StatePreparing     State = "Preparing"
	StatePrepared      State = "Prepared"
	StatePrepareFailed State = "PrepareFailed"
	StateCommitting    State = "Committing"
	StateCommitted     State = "Committed"
	StateCommitFailed  State = "CommitFailed"
	StateAborting      State = "Aborting"
	StateAbortFailed   State = "AbortFailed"
)

// Target is what one Validate/Prepare/Commit/Abort call is about: a migration
// unit as the platform addresses it.
type Target struct {
	// Unit is the unit id, "<kind>/<name>" (vnet, cloudservice, storage, nsg,
	// routetable, reservedip).
	Unit string
	// Kind and Name split Unit.
	Kind string
	Name string
	// Deployment is the deployment name, for kind cloudservice.
	Deployment string
	// Destination, for a cloud service not in a VNet, is the existing
	// Resource Manager VNet Prepare puts its VMs into; nil means a new one.
	Destination *Destination
}

// Destination is an existing Resource Manager VNet and subnet.
type Destination struct {
	ResourceGroup  string
	VirtualNetwork string
	Subnet         string
}

// Message is one message of the platform's Validate.
type Message struct {
	ResourceType   string `json:"resourceType"`
	ResourceName   string `json:"resourceName"`
	Category       string `json:"category"` // Information, Warning or Error
	Message        string `json:"message"`
	VirtualMachine string `json:"virtualMachine,omitempty"`
}

// Migrator drives the platform's migration of one unit at a time.
//
// Every method is idempotent as the platform documents its calls, safe for
// concurrent use on different targets, and returns when the operation has
// finished (a driver polls asynchronous operations itself). A target the
// cloud does not know is ErrNotFound. A call the platform refuses because of
// the unit's state (Abort after Commit, Commit before Prepare) is
// *StateError and changes nothing. A transient fault (throttling, service
// unavailable, internal error) is *TransientError and may be retried after
// its RetryAfter; the operation may or may not have taken effect, as with a
// lost response, so callers read State before sending it again. An
// operation that ran and failed on the platform (Prepare failing on quota,
// say) is *OperationError and leaves the unit in PrepareFailed,
// CommitFailed or AbortFailed.
type Migrator interface {
	// Validate returns the platform's validation messages. It changes
	// nothing; messages of category Error mean Prepare would be refused.
	Validate(ctx context.Context, t Target) ([]Message, error)
	// Prepare locks the unit's management plane and creates its Resource
	// Manager counterparts; VMs not in a VNet are stopped and deallocated.
	Prepare(ctx context.Context, t Target) error
	// Commit finishes the migration and removes the classic resources. It is
	// irreversible.
	Commit(ctx context.Context, t Target) error
	// Abort undoes Prepare, returning the unit to None. It is refused after
	// Commit.
	Abort(ctx context.Context, t Target) error
	// State reads the unit's migration state. It never changes anything.
	// After Commit it may be ErrNotFound: Commit removes the classic
	// resource, and a driver of a real cloud then no longer finds it (the
	// simulator answers Committed). A caller that sent Commit reads not
	// found as Committed.
	State(ctx context.Context, t Target) (State, error)
}

// ErrNotFound means the cloud does not know the target.
var ErrNotFound = errors.New("not found")

// StateError is a call the platform refused because of the unit's state.
// Code and Message are the platform's own words when it gave them (a real
// cloud's refusal says why in prose, which callers show and journal but
// never parse); State is the unit's state as read after the refusal, empty
// when it could not be read.
type StateError struct {
	Op      string
	Unit    string
	State   State
	Code    string
	Message string
}

func (e *StateError) Error() string {
	if e.Code == "" && e.Message == "" {
		return fmt.Sprintf("%s %s: refused in migration state %s", e.Op, e.Unit, e.State)
	}
	if e.State == "" {
		return fmt.Sprintf("%s %s refused: %s: %s", e.Op, e.Unit, e.Code, e.Message)
	}
	return fmt.Sprintf("%s %s refused: %s: %s (migration state %s)", e.Op, e.Unit, e.Code, e.Message, e.State)
}

// Fault kinds of a TransientError, as sim history records them.
const (
	FaultThrottled          = "Throttled"
	FaultServiceUnavailable = "ServiceUnavailable"
	FaultInternalError      = "InternalError"
)

// TransientError is a fault worth retrying after RetryAfter (zero: the
// caller's own backoff).
type TransientError struct {
	Fault      string
	RetryAfter time.Duration
	Err        error
}

func (e *TransientError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s (retry after %s): %v", e.Fault, e.RetryAfter, e.Err)
	}
	return fmt.Sprintf("%s (retry after %s)", e.Fault, e.RetryAfter)
}

func (e *TransientError) Unwrap() error { return e.Err }

// OperationError is an operation the platform ran and reported as failed.
type OperationError struct {
	Op      string
	Unit    string
	Code    string
	Message string
}

func (e *OperationError) Error() string {
	return fmt.Sprintf("%s %s failed: %s: %s", e.Op, e.Unit, e.Code, e.Message)
}

// IsTransient reports whether err is worth retrying, and after how long.
func IsTransient(err error) (time.Duration, bool) {
	var t *TransientError
	if errors.As(err, &t) {
		return t.RetryAfter, true
	}
	return 0, false
}
