package azure

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/migrate-tool/migrate/pkg/cloud"
)

// TokenStore keeps the resume tokens of long-running Resource Manager
// operations across processes: the conversion engine passes one backed by
// its journal, so that an operation started before a crash is polled to its
// end on the next run instead of being sent again. Keys are
// "<operation> <resource group>/<name>" (e.g. "createDisk rg/web-os");
// tokens hold polling URLs only, never a secret. Implementations must be
// safe for concurrent use.
type TokenStore interface {
	// Get returns the token saved under key, if any.
	Get(key string) (string, bool)
	// Put saves token under key, durably, before returning.
	Put(key, token string) error
	// Delete forgets key; deleting a missing key is not an error.
	Delete(key string) error
}

// Operation names of the Resource Manager calls, as token keys and
// OperationError report them.
const (
	opDeallocateVM = "deallocateVM"
	opStartVM      = "startVM"
	opDeleteVM     = "deleteVM"
	opCreateVM     = "createVM"
	opAddExtension = "addExtension"
	opCreateDisk   = "createDisk"
	opDeleteDisk   = "deleteDisk"
	opCreateImage  = "createImage"
	opGrantAccess  = "grantAccess"
	opRevokeAccess = "revokeAccess"
)

// tokenKey is the TokenStore key of op on rg/name.
func tokenKey(op, rg, name string) string { return op + " " + rg + "/" + name }

// lro runs one long-running operation to its end. begin starts it (token
// "") or rehydrates its poller from a saved token, sending with the ctx it
// is given. The request that starts an operation is sent once, without
// azcore's retries: a 429, 500 or 503 may come after the platform took it
// (a lost response), and sending it again blind would create a disk or VM
// twice, or deallocate a deallocated VM. The fault goes up as a
// *cloud.TransientError; the caller reads the resource before it decides
// to send again (the conversion engine does).
//
// With a TokenStore, the token is saved as soon as the operation has
// started and deleted once it has ended (succeeded or failed on the
// platform); a transient fault or a cancelled ctx leaves it, so that the
// next call for the same key polls that operation instead of sending
// another while it may still run. But the next call for a key is not
// always the same logical call: the caller may have read the cloud after
// the fault, moved on, and later (the VM started again in between)
// asked for the same operation anew. A resumed operation's outcome is
// therefore never this call's: once it is terminal (succeeded, failed, or
// unknown to the platform: 404 while polling), applied reads whether the
// call's effect is there (a deallocated VM, a disk with the requested
// definition, a VM that is gone...). If it is, the token is dropped and
// the call succeeds; if not, the token is dropped and the operation sent
// afresh, once, as above. So every success lro returns is either an
// operation this call sent and saw succeed, or a read made after every
// operation under the key had ended; a stale token costs one status poll
// and one read. A nil applied (no read shows the effect) always sends
// afresh, for operations that may be repeated. A token that does not
// parse is treated like a terminal operation. A transient fault or a
// cancelled ctx while resuming or reading returns with the token kept:
// the next call resumes (cheaply, the operation being over) and reads
// again.
func lro[T any](ctx context.Context, d *Driver, key string, applied func(ctx context.Context) (bool, error), begin func(ctx context.Context, token string) (*runtime.Poller[T], error)) error {
	store := d.o.Tokens
	if store != nil {
		if tok, ok := store.Get(key); ok {
			if fresh, err := resume(ctx, d, store, key, tok, applied, begin); !fresh {
				return err
			}
		}
	}
	once := policy.WithRetryOptions(ctx, policy.RetryOptions{MaxRetries: -1})
	p, err := begin(once, "")
	if err != nil {
		return d.armErr(ctx, err)
	}
	if store != nil && !p.Done() {
		tok, err := p.ResumeToken()
		if err != nil {
			return fmt.Errorf("resume token: %w", err)
		}
		if err := store.Put(key, tok); err != nil {
			return fmt.Errorf("save resume token %s: %w", key, err)
		}
	}
	_, done, err := wait(ctx, d, p)
	if store != nil && (err == nil || done) {
		if derr := store.Delete(key); derr != nil && err == nil {
			err = fmt.Errorf("forget resume token %s: %w", key, derr)
		}
	}
	return err
}

// resume polls the operation saved under key to its end, then reads
// whether the call's effect is there (see lro). fresh reports that the
// token is gone and the operation must be sent again; otherwise err is
// the call's outcome.
func resume[T any](ctx context.Context, d *Driver, store TokenStore, key, tok string, applied func(ctx context.Context) (bool, error), begin func(ctx context.Context, token string) (*runtime.Poller[T], error)) (fresh bool, err error) {
	if p, err := begin(ctx, tok); err == nil {
		if _, done, err := wait(ctx, d, p); !done {
			// Still running as far as we know: keep the token.
			return false, err
		}
		// Ended, in success or failure, or forgotten by the platform:
		// either way its outcome may be an earlier call's.
	}
	ok := false
	if applied != nil {
		if ok, err = applied(ctx); err != nil {
			return false, err
		}
	}
	if err := store.Delete(key); err != nil {
		return false, fmt.Errorf("forget resume token %s: %w", key, err)
	}
	return !ok, nil
}

// wait polls p to its end: PollInterval first, then half as long again
// each time up to MaxPollInterval; a Retry-After on a status answer
// replaces that wait, capped at MaxPollInterval. (runtime.Poller's own
// PollUntilDone takes one fixed frequency of at least a second outside
// tests, so the loop is here.) done reports that the operation reached a
// terminal state, even when err says it failed there.
func wait[T any](ctx context.Context, d *Driver, p *runtime.Poller[T]) (res T, done bool, err error) {
	delay := d.o.PollInterval
	for !p.Done() {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return res, false, ctx.Err()
		case <-t.C:
		}
		resp, err := p.Poll(ctx)
		if err != nil {
			// A status read that failed transiently (or a cancelled ctx)
			// leaves the operation to resume; any other answer (404: the
			// platform forgot it; 4xx) cannot be polled again.
			err = d.armErr(ctx, err)
			_, transient := cloud.IsTransient(err)
			return res, !transient && ctx.Err() == nil, err
		}
		// azcore's pipeline has already read the status body into memory;
		// only the headers are used here.
		_ = resp.Body.Close()
		delay = min(delay+delay/2, d.o.MaxPollInterval)
		if ra := retryAfter(resp.Header, time.Now()); ra > 0 {
			delay = min(ra, d.o.MaxPollInterval)
		}
	}
	res, err = p.Result(ctx)
	if err == nil {
		return res, true, nil
	}
	// A final GET that failed in transit is not the operation's outcome:
	// resuming reads it again.
	var re *azcore.ResponseError
	if errors.As(err, &re) && (re.StatusCode == http.StatusTooManyRequests || re.StatusCode == http.StatusRequestTimeout || re.StatusCode >= 500) {
		return res, false, d.armErr(ctx, err)
	}
	return res, true, d.armErr(ctx, err)
}

// armErr maps an SDK error: 404 (or an operation that failed NotFound) is
// cloud.ErrNotFound; 429, 408 and 5xx that outlasted azcore's retries (or
// came with a Retry-After beyond its ceiling) are *cloud.TransientError
// carrying the Retry-After; an operation that failed on the platform for
// a throttling or internal reason is transient too; any other refusal or
// failure is *cloud.OperationError. Transport failures are transient;
// authentication failures are not.
func (d *Driver) armErr(ctx context.Context, err error) error {
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	var authErr *azidentity.AuthenticationFailedError
	if errors.As(err, &authErr) {
		return fmt.Errorf("authenticate: %w", err)
	}
	var re *azcore.ResponseError
	if !errors.As(err, &re) {
		var te *cloud.TransientError
		if errors.As(err, &te) || errors.Is(err, cloud.ErrNotFound) {
			return err
		}
		return &cloud.TransientError{Fault: cloud.FaultServiceUnavailable, Err: err}
	}
	he := &HTTPError{StatusCode: re.StatusCode, Code: re.ErrorCode}
	var header http.Header
	if r := re.RawResponse; r != nil {
		header = r.Header
		if r.Request != nil {
			he.Method, he.Path = r.Request.Method, r.Request.URL.Path
		}
		if b, err := runtime.Payload(r); err == nil {
			if e, ok := parseARMError(b); ok {
				he.Code, he.Message = e.Code, e.Message
			} else if e, ok := parseOperationError(b); ok {
				he.Code, he.Message = e.Code, e.Message
			}
		}
	}
	ra := retryAfter(header, time.Now())
	switch s := re.StatusCode; {
	case s == http.StatusNotFound:
		return fmt.Errorf("%w: %w", cloud.ErrNotFound, he)
	case s == http.StatusTooManyRequests:
		return &cloud.TransientError{Fault: cloud.FaultThrottled, RetryAfter: ra, Err: he}
	case s == http.StatusServiceUnavailable, s == http.StatusBadGateway, s == http.StatusGatewayTimeout, s == http.StatusRequestTimeout:
		return &cloud.TransientError{Fault: cloud.FaultServiceUnavailable, RetryAfter: ra, Err: he}
	case s >= 500:
		return &cloud.TransientError{Fault: cloud.FaultInternalError, RetryAfter: ra, Err: he}
	case s < 300:
		// The operation ran and failed: its code says why.
		switch c := strings.ToLower(he.Code); {
		case c == "notfound" || c == "resourcenotfound":
			return fmt.Errorf("%w: %w", cloud.ErrNotFound, he)
		case c == "toomanyrequests" || strings.Contains(c, "throttl"):
			return &cloud.TransientError{Fault: cloud.FaultThrottled, Err: he}
		case c == "serviceunavailable":
			return &cloud.TransientError{Fault: cloud.FaultServiceUnavailable, Err: he}
		case strings.HasPrefix(c, "internal"):
			return &cloud.TransientError{Fault: cloud.FaultInternalError, Err: he}
		}
	}
	return he
}

// parseOperationError reads the error of a failed operation status
// ({"status":"Failed","error":{...}}).
func parseOperationError(b []byte) (armError, bool) {
	var v struct {
		Status string   `json:"status"`
		Error  armError `json:"error"`
	}
	if json.Unmarshal(b, &v) != nil || v.Error.Code == "" {
		return armError{}, false
	}
	return v.Error, true
}

// opError is err as the Compute contract reports a refusal: an
// *HTTPError that is neither not-found nor transient becomes a
// *cloud.OperationError naming op and the resource.
func opError(op, rg, name string, err error) error {
	var he *HTTPError
	if errors.As(err, &he) && !errors.Is(err, cloud.ErrNotFound) {
		if _, ok := cloud.IsTransient(err); !ok {
			code := he.Code
			if code == "" {
				code = http.StatusText(he.StatusCode)
			}
			return &cloud.OperationError{Op: op, Unit: rg + "/" + name, Code: code, Message: he.Message}
		}
	}
	return err
}
