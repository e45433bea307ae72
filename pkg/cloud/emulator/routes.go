package emulator

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
)

// Fault responses, as a real front end sends them.
var faults = []struct {
	status int
	code   string
}{
	{http.StatusTooManyRequests, "TooManyRequests"},
	{http.StatusServiceUnavailable, "ServiceUnavailable"},
	{http.StatusInternalServerError, "InternalError"},
}

func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// The authority.
	mux.HandleFunc("GET /{tenant}/v2.0/.well-known/openid-configuration", s.openIDConfiguration)
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.token)
	// Resource Manager.
	mux.HandleFunc("GET /metadata/endpoints", s.metadata)
	mux.Handle("GET /subscriptions/{sub}/providers/{ns}", s.arm(s.provider))
	s.armRoutes(mux)
	// Service Management: migration calls and their operations.
	mux.Handle("POST /{sub}/services/hostedservices/{svc}/deployments/{dep}/migration", s.sm(s.migration))
	mux.Handle("POST /{sub}/services/storageservices/{name}/migration", s.sm(s.migration))
	mux.Handle("POST /{sub}/services/networking/{coll}/{name}/migration", s.sm(s.migration))
	mux.Handle("GET /{sub}/operations/{id}", s.sm(s.operation))
	// Service Management: discovery and state reads.
	mux.Handle("GET /{sub}/services/hostedservices", s.sm(s.listHostedServices))
	mux.Handle("GET /{sub}/services/hostedservices/{svc}", s.sm(s.getHostedService))
	mux.Handle("GET /{sub}/services/hostedservices/{svc}/deployments/{dep}", s.sm(s.getDeployment))
	mux.Handle("GET /{sub}/services/hostedservices/{svc}/deploymentslots/{slot}", s.sm(s.getDeployment))
	mux.Handle("GET /{sub}/services/storageservices", s.sm(s.listStorage))
	mux.Handle("GET /{sub}/services/storageservices/{name}", s.sm(s.getStorage))
	mux.Handle("GET /{sub}/services/storageservices/{name}/keys", s.sm(s.getStorageKeys))
	mux.Handle("GET /{sub}/services/disks", s.sm(s.listDisks))
	mux.Handle("GET /{sub}/services/images", s.sm(s.listImages))
	mux.Handle("GET /{sub}/services/vmimages", s.sm(s.listVMImages))
	mux.Handle("GET /{sub}/services/resourceextensions/{publisher}/{name}", s.sm(s.listResourceExtensionVersions))
	mux.Handle("GET /{sub}/services/networking/{coll}", s.sm(s.listNetworking))
	mux.Handle("GET /{sub}/services/networking/{coll}/{name}", s.sm(s.getNetworking))
	s.networkRoutes(mux)
	return s.logged(s.withBlobFront(mux))
}

// statusWriter remembers the status for the request log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// logged writes one line per request. Only the path is logged, never the
// query or a header, so no SAS signature or token can reach the log.
func (s *Server) logged(h http.Handler) http.Handler {
	if s.o.Log == nil {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		s.o.Log(fmt.Sprintf("emulator: %s %s %d %s", r.Method, r.URL.Path, sw.status, time.Since(start).Round(time.Microsecond)))
	})
}

// sm wraps a Service Management handler: latency, bearer token,
// x-ms-version, subscription, then perhaps a fault instead of the call.
// faultAfterKey carries the fault a handler answers after doing its work.
type faultAfterKey struct{}

// faultAfter reports the fault to answer once the call took effect.
func faultAfter(r *http.Request) (int, bool) {
	i, ok := r.Context().Value(faultAfterKey{}).(int)
	return i, ok
}

func (s *Server) sm(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.o.StackHub {
			// Azure Stack Hub has no Service Management endpoint: its
			// front end knows none of these paths.
			armError(w, http.StatusNotFound, "NotFound", "Azure Stack Hub has no classic deployment model: there is no Service Management API here.")
			return
		}
		if !s.delay(r) {
			return
		}
		if !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="`+s.url+s.o.TenantID+`"`)
			writeXMLError(w, http.StatusUnauthorized, "AuthenticationFailed", "The server failed to authenticate the request. Verify that the bearer token is valid.")
			return
		}
		if r.Header.Get(smapi.HeaderVersion) == "" {
			writeXMLError(w, http.StatusBadRequest, "MissingOrIncorrectVersionHeader", "The versioning header is not specified or was specified incorrectly.")
			return
		}
		if !s.knownSubscription(r.PathValue("sub")) {
			writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "The subscription does not exist.")
			return
		}
		d := s.decide(r)
		r = withDecision(r, d)
		if d.faulted {
			// A migration call may be faulted after it took effect, as a
			// lost response: the handler answers the fault afterwards.
			if r.Method != http.MethodPost || !d.after {
				writeFault(w, d.fault)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), faultAfterKey{}, d.fault)) //nolint:contextcheck // derived from the request's own context
		}
		w.Header().Set(smapi.HeaderRequestID, opID(d.id))
		h(w, r)
	})
}

// arm wraps a Resource Manager handler: latency, bearer token,
// api-version, subscription, faults; errors are JSON. The faults of a
// changing call (lost true: PUT, DELETE, a VM's power actions) come half
// after the call took effect, as a lost response: the handler answers the
// fault once its operation has ended (startARM).
func (s *Server) arm(h http.HandlerFunc) http.Handler { return s.armCall(h, false) }

func (s *Server) armCall(h http.HandlerFunc, lost bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.delay(r) {
			return
		}
		if !s.authorized(r) {
			armError(w, http.StatusUnauthorized, "AuthenticationFailed", "Authentication failed. The 'Authorization' header is missing or invalid.")
			return
		}
		if r.URL.Query().Get("api-version") == "" {
			armError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
			return
		}
		if !s.knownSubscription(r.PathValue("sub")) {
			armError(w, http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", r.PathValue("sub")))
			return
		}
		d := s.decide(r)
		r = withDecision(r, d)
		if d.faulted {
			if !lost || !d.after {
				writeARMFault(w, d.fault)
				return
			}
			r = r.WithContext(context.WithValue(r.Context(), faultAfterKey{}, d.fault)) //nolint:contextcheck // derived from the request's own context
		}
		h(w, r)
	})
}

func writeARMFault(w http.ResponseWriter, i int) {
	w.Header().Set("Retry-After", "1")
	armError(w, faults[i].status, faults[i].code, "Transient fault injected by the emulator.")
}

// metadata answers the Resource Manager metadata document of api-version
// 2015-01-01, the shape Azure Stack Hub serves and `az cloud register`
// reads: the authority (loginEndpoint) and the token audiences
// (learn.microsoft.com azure-stack/user/azure-stack-version-profiles). It
// needs no token, as there.
func (s *Server) metadata(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"galleryEndpoint": s.url,
		"graphEndpoint":   s.url,
		"portalEndpoint":  s.url,
		"authentication": map[string]any{
			"loginEndpoint": s.url,
			"audiences":     []string{ResourceManagerAudience},
		},
	})
}

// provider answers a resource provider's registration state.
func (s *Server) provider(w http.ResponseWriter, r *http.Request) {
	ns := r.PathValue("ns")
	state := "Registered"
	for k, v := range s.o.Providers {
		if strings.EqualFold(k, ns) {
			state = v
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"id":                "/subscriptions/" + r.PathValue("sub") + "/providers/" + ns,
		"namespace":         ns,
		"registrationState": state,
	})
}

func (s *Server) delay(r *http.Request) bool {
	if s.o.Latency <= 0 {
		return true
	}
	t := time.NewTimer(s.o.Latency)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

func (s *Server) knownSubscription(sub string) bool {
	return s.o.SubscriptionID == "" || strings.EqualFold(sub, s.o.SubscriptionID)
}

func writeFault(w http.ResponseWriter, i int) {
	if faults[i].status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "1")
	}
	writeXMLError(w, faults[i].status, faults[i].code, "Transient fault injected by the emulator.")
}

func writeXML(w http.ResponseWriter, status int, v any) {
	b, err := smapi.Encode(v)
	if err != nil {
		writeXMLError(w, http.StatusInternalServerError, "InternalError", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeXMLError(w http.ResponseWriter, status int, code, msg string) {
	b, _ := smapi.Encode(smapi.Error{Code: code, Message: msg})
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func armError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// errorStatus maps a cloud error to the status, code and message the real
// API answers, and for a transient fault the Retry-After to send.
func errorStatus(err error) (status int, code, msg string, retryAfter time.Duration) {
	var (
		se *cloud.StateError
		te *cloud.TransientError
		oe *cloud.OperationError
	)
	switch {
	case errors.Is(err, cloud.ErrNotFound):
		return http.StatusNotFound, "ResourceNotFound", err.Error(), 0
	case errors.As(err, &se):
		// A call refused for the unit's state is 409 ConflictError, the
		// Service Management error table's code for a conflict
		// (learn.microsoft.com/previous-versions/azure/ee460801).
		return http.StatusConflict, "ConflictError", fmt.Sprintf("%s is not allowed for %s in migration state %s.", se.Op, se.Unit, se.State), 0
	case errors.As(err, &te):
		switch te.Fault {
		case cloud.FaultThrottled:
			return http.StatusTooManyRequests, "TooManyRequests", te.Error(), max(te.RetryAfter, time.Second)
		case cloud.FaultServiceUnavailable:
			return http.StatusServiceUnavailable, "ServiceUnavailable", te.Error(), te.RetryAfter
		}
		return http.StatusInternalServerError, "InternalError", te.Error(), te.RetryAfter
	case errors.As(err, &oe):
		return http.StatusBadRequest, oe.Code, oe.Message, 0
	}
	return http.StatusInternalServerError, "InternalError", err.Error(), 0
}

func writeCloudError(w http.ResponseWriter, err error) {
	status, code, msg, ra := errorStatus(err)
	if ra > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(ra.Seconds()))))
	}
	writeXMLError(w, status, code, msg)
}
