package emulator

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/smapi"
)

// operation is an asynchronous Prepare, Commit or Abort.
type operation struct {
	id     string
	done   bool
	status int // HttpStatusCode when done
	code   string
	msg    string
}

// collections maps the networking collection in a path to a unit kind.
var collections = map[string]string{
	"virtualnetwork":        smapi.KindVNet,
	"networksecuritygroups": smapi.KindNSG,
	"routetables":           smapi.KindRouteTable,
	"reservedips":           smapi.KindReservedIP,
}

// resourceOf reads the migratable resource a request's path names.
func resourceOf(r *http.Request) (smapi.Resource, bool) {
	switch {
	case r.PathValue("svc") != "":
		return smapi.Resource{Kind: smapi.KindCloudService, Name: r.PathValue("svc"), Deployment: r.PathValue("dep")}, true
	case strings.Contains(r.URL.Path, "/services/storageservices/"):
		return smapi.Resource{Kind: smapi.KindStorage, Name: r.PathValue("name")}, true
	}
	k, ok := collections[r.PathValue("coll")]
	return smapi.Resource{Kind: k, Name: r.PathValue("name")}, ok
}

func targetOf(res smapi.Resource) cloud.Target {
	return cloud.Target{Unit: res.Kind + "/" + res.Name, Kind: res.Kind, Name: res.Name, Deployment: res.Deployment}
}

// migration is POST .../migration?comp=validate|prepare|commit|abort.
// Validate answers 200 with its messages; the others check the target
// exists, start the operation and answer 202 with its request id. Half of
// the faults injected here come after the operation started, as a lost
// response.
func (s *Server) migration(w http.ResponseWriter, r *http.Request) {
	res, ok := resourceOf(r)
	if !ok {
		writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "Unknown resource collection.")
		return
	}
	t := targetOf(res)
	comp := r.URL.Query().Get("comp")
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeXMLError(w, http.StatusBadRequest, "InvalidXmlRequest", "Cannot read the request body.")
		return
	}
	if res.Kind == smapi.KindCloudService && (comp == smapi.CompValidate || comp == smapi.CompPrepare) {
		// Only the DeploymentNetworkResource document the Node client sends
		// is accepted; anything else gets the platform's answer to a body it
		// cannot read: 400 InvalidXmlRequest, "The request body's XML was
		// invalid or not correctly specified." (Service Management Status
		// and Error Codes, learn.microsoft.com/previous-versions/azure/ee460801).
		dm, err := smapi.ParseDeploymentMigration(body)
		if err != nil {
			writeXMLError(w, http.StatusBadRequest, "InvalidXmlRequest", "The request body's XML was invalid or not correctly specified. "+err.Error())
			return
		}
		if dm.DestinationVirtualNetwork == smapi.DestinationExisting {
			t.Destination = &cloud.Destination{ResourceGroup: dm.ResourceGroupName, VirtualNetwork: dm.VirtualNetworkName, Subnet: dm.SubNetName}
		}
	}
	var call func(context.Context, cloud.Target) error
	switch comp {
	case smapi.CompValidate:
		msgs, err := s.m.Validate(r.Context(), t)
		if err != nil {
			writeCloudError(w, err)
			return
		}
		out := smapi.ValidationMessages{Messages: []smapi.ValidationMessage{}}
		for _, m := range msgs {
			out.Messages = append(out.Messages, smapi.ValidationMessage(m))
		}
		if i, ok := faultAfter(r); ok {
			writeFault(w, i)
			return
		}
		writeXML(w, http.StatusOK, out)
		return
	case smapi.CompPrepare:
		call = s.m.Prepare
	case smapi.CompCommit:
		call = s.m.Commit
	case smapi.CompAbort:
		call = s.m.Abort
	default:
		writeXMLError(w, http.StatusBadRequest, "InvalidQueryParameterValue", "comp must be validate, prepare, commit or abort.")
		return
	}
	if _, err := s.m.State(r.Context(), t); err != nil {
		writeCloudError(w, err)
		return
	}
	id := w.Header().Get(smapi.HeaderRequestID)
	s.start(id, t, call)
	if i, ok := faultAfter(r); ok {
		writeFault(w, i)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

// start runs call in the background as operation id.
func (s *Server) start(id string, t cloud.Target, call func(context.Context, cloud.Target) error) {
	op := &operation{id: id}
	s.mu.Lock()
	s.ops[id] = op
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := call(s.ctx, t)
		s.mu.Lock()
		defer s.mu.Unlock()
		op.done = true
		if err == nil {
			op.status = http.StatusOK
			return
		}
		op.status, op.code, op.msg, _ = errorStatus(err)
		if errors.Is(err, context.Canceled) {
			op.status, op.code, op.msg = http.StatusInternalServerError, "InternalError", "The server shut down during the operation."
		}
	}()
}

// operation is GET /{sub}/operations/{id}.
func (s *Server) operation(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	op, ok := s.ops[r.PathValue("id")]
	var out smapi.Operation
	if ok {
		out = smapi.Operation{ID: op.id, Status: smapi.StatusInProgress}
		if op.done {
			out.HTTPStatusCode = op.status
			out.Status = smapi.StatusSucceeded
			if op.status != http.StatusOK {
				out.Status = smapi.StatusFailed
				out.Error = &smapi.OperationError{Code: op.code, Message: op.msg}
			}
		}
	}
	s.mu.Unlock()
	if !ok {
		writeXMLError(w, http.StatusNotFound, "ResourceNotFound", "The operation does not exist.")
		return
	}
	writeXML(w, http.StatusOK, out)
}
