package azure

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
)

// Options tune the driver's behaviour, as opposed to Config, which says
// which cloud and who.
type Options struct {
	// Log receives one line per HTTP attempt (method, path, status,
	// duration), secrets redacted; nil logs nothing. `-v` wires it to
	// stderr.
	Log func(string)
	// PollInterval is the first wait before reading an operation's status
	// (default 2s); each further wait is half as long again, up to
	// MaxPollInterval (default 30s). A Retry-After on the status answer
	// overrides both. Tests scale them down.
	PollInterval    time.Duration
	MaxPollInterval time.Duration
	// Retry tunes azcore's retry policy. Zero fields take the driver's
	// defaults: 4 retries, 1s first delay, 60s ceiling; a Retry-After
	// beyond the ceiling ends the call with a *cloud.TransientError
	// carrying it.
	Retry policy.RetryOptions
	// Credential replaces the configured one (tests, or a caller that
	// already holds a credential).
	Credential azcore.TokenCredential
	// Tokens keeps the resume tokens of Resource Manager long-running
	// operations (the conversion engine's journal); nil keeps none, and an
	// interrupted operation is sent again on the next call (they are all
	// idempotent).
	Tokens TokenStore
	// AccessDuration is how long a SAS the driver obtains stays valid: a
	// managed disk's grant-access and a VHD's read SAS (default 4h, enough
	// for 1 TiB at 145 MB/s; a resumed copy gets a fresh one).
	AccessDuration time.Duration
	// Transport replaces the HTTP client of the Resource Manager and blob
	// clients; tests pass armcompute's fake server transports here.
	Transport policy.Transporter
	// TimeScale multiplies every delay an answer asks for (Retry-After
	// and its millisecond forms) before anything reads it: azcore's
	// retries, the pollers and the driver's own status polls then wait the
	// scaled time. For emulators and tests, whose faults ask for real
	// seconds; 0 means 1 (Azure's delays as asked).
	TimeScale float64
}

// Driver is the azure driver. It is safe for concurrent use.
type Driver struct {
	cfg       Config
	ep        endpoints
	o         Options
	transport *http.Client
	cred      azcore.TokenCredential
	sm        runtime.Pipeline
	arm       runtime.Pipeline
	rm        armClients
	accts     storageAccounts
	fds       faultDomainLimits
	uploads   uploadGrants
}

var (
	_ cloud.Migrator   = (*Driver)(nil)
	_ cloud.Discoverer = (*Driver)(nil)
	_ cloud.Compute    = (*Driver)(nil)
	_ cloud.DiskData   = (*Driver)(nil)
	_ cloud.PageCopier = (*Driver)(nil)
)

// New checks cfg, builds the credential and the pipelines. It makes no
// management call: credentials are first used, and so checked, by the first
// request (run Preflight to check everything up front). The one read it may
// make is a custom cloud's public metadata document, when the configuration
// gives its Resource Manager endpoint but not its authority or audience.
func New(ctx context.Context, cfg Config, o Options) (*Driver, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if cfg.needsMetadata() {
		tr, err := transport(cfg.CAFile)
		if err != nil {
			return nil, fmt.Errorf("azure driver: %w", err)
		}
		if err := cfg.fillFromMetadata(ctx, tr); err != nil {
			return nil, fmt.Errorf("azure driver configuration: %w", err)
		}
	}
	ep, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("azure driver configuration: %w", err)
	}
	if o.PollInterval <= 0 {
		o.PollInterval = 2 * time.Second
	}
	if o.MaxPollInterval <= 0 {
		o.MaxPollInterval = 30 * time.Second
	}
	if o.MaxPollInterval < o.PollInterval {
		o.MaxPollInterval = o.PollInterval
	}
	if o.AccessDuration <= 0 {
		o.AccessDuration = 4 * time.Hour
	}
	if o.Retry.MaxRetries == 0 {
		o.Retry.MaxRetries = 4
	}
	if o.Retry.RetryDelay == 0 {
		o.Retry.RetryDelay = time.Second
	}
	if o.Retry.MaxRetryDelay == 0 {
		o.Retry.MaxRetryDelay = 60 * time.Second
	}
	tr, err := transport(cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("azure driver: %w", err)
	}
	d := &Driver{cfg: cfg, ep: ep, o: o, transport: tr}
	d.cred = o.Credential
	if d.cred == nil {
		if d.cred, err = d.newCredential(cfg); err != nil {
			return nil, fmt.Errorf("azure driver: credential %s: %w", cfg.Credential, err)
		}
	}
	d.sm = d.newPipeline(smScope(ep.smAudience), headerPolicy{smapi.HeaderVersion: ep.api.ServiceManagement})
	d.arm = d.newPipeline(armScope(ep.armAudience))
	if d.rm, err = d.newARMClients(); err != nil {
		return nil, fmt.Errorf("azure driver: %w", err)
	}
	return d, nil
}

// Operation names, as StateError and OperationError report them.
const (
	opValidate = "Validate"
	opPrepare  = "Prepare"
	opCommit   = "Commit"
	opAbort    = "Abort"
)

func resourceOf(t cloud.Target) smapi.Resource {
	return smapi.Resource{Kind: t.Kind, Name: t.Name, Deployment: t.Deployment}
}

func (d *Driver) smURL(path string) string {
	return strings.TrimSuffix(d.ep.sm, "/") + path
}

// migrationURL is the target's migration call for comp.
func (d *Driver) migrationURL(t cloud.Target, comp string) (string, error) {
	p, err := smapi.MigrationPath(d.cfg.SubscriptionID, resourceOf(t))
	if err != nil {
		return "", err
	}
	return d.smURL(p) + "?comp=" + comp, nil
}

// deploymentBody is the Validate/Prepare body of a cloud service: where its
// VMs go when they are in no classic VNet. It is the DeploymentNetworkResource
// document azure-asm-compute sends, its four elements always present (the
// names empty for New); other kinds send an empty body.
func deploymentBody(t cloud.Target) ([]byte, error) {
	if t.Kind != smapi.KindCloudService {
		return nil, nil
	}
	m := smapi.DeploymentMigration{DestinationVirtualNetwork: smapi.DestinationNew}
	if t.Destination != nil {
		m.DestinationVirtualNetwork = smapi.DestinationExisting
		m.ResourceGroupName, m.VirtualNetworkName, m.SubNetName = t.Destination.ResourceGroup, t.Destination.VirtualNetwork, t.Destination.Subnet
	}
	return smapi.Encode(m)
}

// Validate is POST .../migration?comp=validate; it answers 200 with the
// platform's messages.
func (d *Driver) Validate(ctx context.Context, t cloud.Target) ([]cloud.Message, error) {
	if err := d.classicRefused(opValidate, t.Unit); err != nil {
		return nil, fmt.Errorf("validate %s: %w", t.Unit, err)
	}
	u, err := d.migrationURL(t, smapi.CompValidate)
	if err != nil {
		return nil, fmt.Errorf("validate %s: %w", t.Unit, err)
	}
	body, err := deploymentBody(t)
	if err != nil {
		return nil, fmt.Errorf("validate %s: %w", t.Unit, err)
	}
	_, b, err := d.call(ctx, d.sm, http.MethodPost, u, emptyBody(body))
	if err != nil {
		return nil, fmt.Errorf("validate %s: %w", t.Unit, d.refusal(ctx, opValidate, t, err))
	}
	vm, err := smapi.Decode[smapi.ValidationMessages](strings.NewReader(string(b)))
	if err != nil {
		return nil, fmt.Errorf("validate %s: %w", t.Unit, err)
	}
	out := make([]cloud.Message, 0, len(vm.Messages))
	for _, m := range vm.Messages {
		out = append(out, cloud.Message(m))
	}
	return out, nil
}

// emptyBody sends an empty body rather than none, so the POST carries
// Content-Length: 0 as the front end expects.
func emptyBody(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// Prepare is POST .../migration?comp=prepare, then the operation polled to
// its end.
func (d *Driver) Prepare(ctx context.Context, t cloud.Target) error {
	body, err := deploymentBody(t)
	if err != nil {
		return fmt.Errorf("prepare %s: %w", t.Unit, err)
	}
	return d.run(ctx, opPrepare, smapi.CompPrepare, t, body)
}

// Commit is POST .../migration?comp=commit, then the operation polled.
func (d *Driver) Commit(ctx context.Context, t cloud.Target) error {
	return d.run(ctx, opCommit, smapi.CompCommit, t, nil)
}

// Abort is POST .../migration?comp=abort, then the operation polled.
func (d *Driver) Abort(ctx context.Context, t cloud.Target) error {
	return d.run(ctx, opAbort, smapi.CompAbort, t, nil)
}

// run starts an asynchronous migration call and polls it to its end.
func (d *Driver) run(ctx context.Context, op, comp string, t cloud.Target, body []byte) error {
	verb := strings.ToLower(op)
	if err := d.classicRefused(op, t.Unit); err != nil {
		return fmt.Errorf("%s %s: %w", verb, t.Unit, err)
	}
	u, err := d.migrationURL(t, comp)
	if err != nil {
		return fmt.Errorf("%s %s: %w", verb, t.Unit, err)
	}
	// The POST that starts an operation is sent once, without azcore's
	// retries: a 500 or 503 may come after the platform acted (a lost
	// response), and retrying it blind would send Commit to a committed
	// unit. The fault goes up as a TransientError, and the phases read the
	// unit's state before they decide to send it again.
	once := policy.WithRetryOptions(ctx, policy.RetryOptions{MaxRetries: -1})
	resp, _, err := d.call(once, d.sm, http.MethodPost, u, emptyBody(body))
	if err != nil {
		return fmt.Errorf("%s %s: %w", verb, t.Unit, d.refusal(ctx, op, t, err))
	}
	if resp.StatusCode != http.StatusAccepted {
		return nil // done synchronously
	}
	id := resp.Header.Get(smapi.HeaderRequestID)
	if id == "" {
		return fmt.Errorf("%s %s: 202 without %s", verb, t.Unit, smapi.HeaderRequestID)
	}
	res, err := d.poll(ctx, id)
	if err != nil {
		return fmt.Errorf("%s %s: operation %s: %w", verb, t.Unit, id, err)
	}
	if res.Status == smapi.StatusSucceeded {
		return nil
	}
	return fmt.Errorf("%s %s: operation %s: %w", verb, t.Unit, id, d.failed(ctx, op, t, res))
}

// poll reads GET /operations/{id} until it leaves InProgress, waiting
// PollInterval, then half as long again each time up to MaxPollInterval,
// or the Retry-After the status answer gives. azcore's runtime.Poller does
// not speak this protocol, so this loop is the driver's; each read still
// goes through the pipeline's retries.
func (d *Driver) poll(ctx context.Context, id string) (*smapi.Operation, error) {
	u := d.smURL(smapi.OperationPath(d.cfg.SubscriptionID, id))
	wait := d.o.PollInterval
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		resp, b, err := d.call(ctx, d.sm, http.MethodGet, u, nil)
		if err != nil {
			return nil, err
		}
		op, err := smapi.ParseOperation(b)
		if err != nil {
			return nil, err
		}
		if op.Status != smapi.StatusInProgress {
			return op, nil
		}
		wait = min(wait+wait/2, d.o.MaxPollInterval)
		if ra := retryAfter(resp.Header, time.Now()); ra > 0 {
			wait = ra
		}
	}
}

// failed maps a Failed operation: a throttling or server status is
// transient, 404 is not found, 409 is a state refusal, and anything else
// (a 400 included, whatever its code) is the platform's own failure. The
// platform's code and message are kept in every case.
func (d *Driver) failed(ctx context.Context, op string, t cloud.Target, res *smapi.Operation) error {
	code, msg := "", ""
	if res.Error != nil {
		code, msg = res.Error.Code, res.Error.Message
	}
	he := &HTTPError{Method: op, Path: t.Unit, StatusCode: res.HTTPStatusCode, Code: code, Message: msg}
	switch s := res.HTTPStatusCode; {
	case s == http.StatusTooManyRequests:
		return &cloud.TransientError{Fault: cloud.FaultThrottled, Err: he}
	case s == http.StatusServiceUnavailable:
		return &cloud.TransientError{Fault: cloud.FaultServiceUnavailable, Err: he}
	case s >= 500:
		return &cloud.TransientError{Fault: cloud.FaultInternalError, Err: he}
	case s == http.StatusNotFound:
		return fmt.Errorf("%w: %w", cloud.ErrNotFound, he)
	case s == http.StatusConflict:
		return d.stateError(ctx, op, t, code, msg)
	}
	return &cloud.OperationError{Op: op, Unit: t.Unit, Code: code, Message: msg}
}

// refusal turns a synchronous 409 (ConflictError, in the Service
// Management error table: learn.microsoft.com/previous-versions/azure/
// ee460801) into a *cloud.StateError carrying the platform's code and
// message, and leaves every other error as it is: a 400 stays an *HTTPError
// with its code and message ("Subscription is not registered for
// migration", a configuration error), never a made-up state.
func (d *Driver) refusal(ctx context.Context, op string, t cloud.Target, err error) error {
	var he *HTTPError
	if errors.As(err, &he) && !errors.Is(err, cloud.ErrNotFound) && he.StatusCode == http.StatusConflict {
		return d.stateError(ctx, op, t, he.Code, he.Message)
	}
	return err
}

// stateError reads the unit's state to report it beside the platform's
// words: callers branch on the type and the state, never on the prose. If
// the read fails, the state is left empty.
func (d *Driver) stateError(ctx context.Context, op string, t cloud.Target, code, msg string) error {
	st, err := d.State(ctx, t)
	if err != nil {
		st = ""
	}
	return &cloud.StateError{Op: op, Unit: t.Unit, State: st, Code: code, Message: msg}
}

// State reads the unit's MigrationState where Azure reports it: a
// deployment's from its roles (DeploymentState), a VNet's from its site in
// the VNet list (there is no single-site GET), a storage account's from
// StorageService/MigrationState, the others from their own GET. An absent
// state is None. A resource Azure does not know is cloud.ErrNotFound, and
// that includes a committed unit, whose classic resource Commit removed:
// callers that sent Commit read not found as Committed.
func (d *Driver) State(ctx context.Context, t cloud.Target) (cloud.State, error) {
	if err := d.classicRefused("State", t.Unit); err != nil {
		return "", fmt.Errorf("state %s: %w", t.Unit, err)
	}
	p, err := statePath(d.cfg.SubscriptionID, resourceOf(t))
	if err != nil {
		return "", fmt.Errorf("state %s: %w", t.Unit, err)
	}
	_, b, err := d.call(ctx, d.sm, http.MethodGet, d.smURL(p), nil)
	if err != nil {
		return "", fmt.Errorf("state %s: %w", t.Unit, err)
	}
	st, err := migrationState(t, b)
	if err != nil {
		return "", fmt.Errorf("state %s: %w", t.Unit, err)
	}
	if st == "" {
		return cloud.StateNone, nil
	}
	return cloud.State(st), nil
}

// statePath is the read that reports r's state: the VNet list for a VNet,
// the resource's own GET otherwise.
func statePath(sub string, r smapi.Resource) (string, error) {
	if r.Kind == smapi.KindVNet {
		return "/" + url.PathEscape(sub) + "/services/networking/virtualnetwork", nil
	}
	return smapi.ResourcePath(sub, r)
}

// migrationState reads t's MigrationState out of the document statePath
// answered. A VNet missing from the list is cloud.ErrNotFound.
func migrationState(t cloud.Target, b []byte) (string, error) {
	r := func() *bytes.Reader { return bytes.NewReader(b) }
	switch t.Kind {
	case smapi.KindCloudService:
		v, err := smapi.Decode[smapi.Deployment](r())
		if err != nil {
			return "", err
		}
		return smapi.DeploymentState(v.Roles), nil
	case smapi.KindVNet:
		v, err := smapi.Decode[smapi.VirtualNetworkSites](r())
		if err != nil {
			return "", err
		}
		for _, s := range v.Sites {
			if strings.EqualFold(s.Name, t.Name) {
				return s.MigrationState, nil
			}
		}
		return "", fmt.Errorf("virtual network %s is not in the list: %w", t.Name, cloud.ErrNotFound)
	case smapi.KindStorage:
		v, err := smapi.Decode[smapi.StorageService](r())
		if err != nil {
			return "", err
		}
		return v.MigrationState, nil
	case smapi.KindNSG:
		v, err := smapi.Decode[smapi.NetworkSecurityGroup](r())
		if err != nil {
			return "", err
		}
		return v.MigrationState, nil
	case smapi.KindRouteTable:
		v, err := smapi.Decode[smapi.RouteTable](r())
		if err != nil {
			return "", err
		}
		return v.MigrationState, nil
	case smapi.KindReservedIP:
		v, err := smapi.Decode[smapi.ReservedIP](r())
		if err != nil {
			return "", err
		}
		return v.MigrationState, nil
	}
	return "", smapi.ErrUnknownKind
}
