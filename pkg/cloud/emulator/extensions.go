package emulator

import (
	"context"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
)

// VM extensions (VirtualMachineExtensions_CreateOrUpdate, _Get, _List in
// Azure/azure-rest-api-specs Microsoft.Compute/stable/2019-07-01/
// compute.json). cloud.Compute has no call to add one to an existing VM,
// so the extensions PUT here are kept by the emulator, over the backend's
// VM (which may report its own, e.g. those an estate defines): served in
// the VM's "resources" and by the extension routes, dropped with the VM.
// Protected settings are write-only, as on Azure: never stored or served.

// extensionRoutes adds the extension routes.
func (s *Server) extensionRoutes(mux *http.ServeMux) {
	const exts = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.Compute/virtualMachines/{name}/extensions"
	mux.Handle("GET "+exts, s.arm(s.needCompute(s.listExtensions)))
	mux.Handle("GET "+exts+"/{ext}", s.arm(s.needCompute(s.getExtension)))
	mux.Handle("PUT "+exts+"/{ext}", s.armCall(s.needCompute(s.putExtension), true))
}

// withExtensions is vm with the extensions PUT through the emulator
// (replacing the backend's of the same name).
func (s *Server) withExtensions(vm cloud.VM) cloud.VM {
	s.mu.Lock()
	added := s.exts[diskKey(vm.ResourceGroup, vm.Name)]
	s.mu.Unlock()
	if len(added) == 0 {
		return vm
	}
	var out []cloud.Extension
	for _, x := range vm.Extensions {
		kept := true
		for _, a := range added {
			kept = kept && !strings.EqualFold(a.Name, x.Name)
		}
		if kept {
			out = append(out, x)
		}
	}
	vm.Extensions = append(out, added...)
	return vm
}

// forgetExtensions drops a deleted VM's extensions.
func (s *Server) forgetExtensions(rg, name string) {
	s.mu.Lock()
	delete(s.exts, diskKey(rg, name))
	s.mu.Unlock()
}

// extensionModel is the served model of one extension of vm.
func extensionModel(sub string, vm cloud.VM, x cloud.Extension) *armcompute.VirtualMachineExtension {
	m := armapi.ExtensionFromCloud(vm.Location, x)
	m.ID = to.Ptr(armapi.ResourceID(sub, vm.ResourceGroup, armapi.TypeVirtualMachines, vm.Name) + "/extensions/" + x.Name)
	m.Type = to.Ptr(armapi.TypeVirtualMachines + "/extensions")
	st := x.ProvisioningState
	if st == "" {
		st = cloud.ExtensionSucceeded
	}
	m.Properties.ProvisioningState = to.Ptr(st)
	return &m
}

func (s *Server) listExtensions(w http.ResponseWriter, r *http.Request) {
	vm, err := s.vmOf(r.Context(), r.PathValue("rg"), r.PathValue("name"))
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	out := []*armcompute.VirtualMachineExtension{}
	for _, x := range vm.Extensions {
		out = append(out, extensionModel(r.PathValue("sub"), vm, x))
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": out})
}

func (s *Server) getExtension(w http.ResponseWriter, r *http.Request) {
	vm, err := s.vmOf(r.Context(), r.PathValue("rg"), r.PathValue("name"))
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	for _, x := range vm.Extensions {
		if strings.EqualFold(x.Name, r.PathValue("ext")) {
			writeJSON(w, http.StatusOK, extensionModel(r.PathValue("sub"), vm, x))
			return
		}
	}
	armError(w, http.StatusNotFound, "NotFound", "The entity was not found in this Azure location.")
}

// putExtension adds or replaces an extension of a running VM, as a
// long-running operation (201). Azure refuses it on a VM that is not
// running: "Cannot modify extensions in the VM when the VM is not
// running." (virtual-machines/error-messages, OperationNotAllowed).
func (s *Server) putExtension(w http.ResponseWriter, r *http.Request) {
	rg, name, ext := r.PathValue("rg"), r.PathValue("name"), r.PathValue("ext")
	var m armcompute.VirtualMachineExtension
	if !readBody(w, r, &m) {
		return
	}
	vm, err := s.vmOf(r.Context(), rg, name)
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	if vm.PowerState != cloud.PowerRunning {
		armError(w, http.StatusConflict, "OperationNotAllowed", "Cannot modify extensions in the VM when the VM is not running.")
		return
	}
	x := armapi.ExtensionToCloud(m)
	x.Name, x.ProvisioningState, x.HasProtectedSettings = ext, cloud.ExtensionSucceeded, false
	if x.Publisher == "" || x.Type == "" || x.TypeHandlerVersion == "" {
		armError(w, http.StatusBadRequest, "InvalidParameter", "An extension needs publisher, type and typeHandlerVersion.")
		return
	}
	status := http.StatusCreated
	for _, have := range vm.Extensions {
		if strings.EqualFold(have.Name, ext) {
			status = http.StatusOK
		}
	}
	body := extensionModel(r.PathValue("sub"), vm, x)
	body.Properties.ProvisioningState = to.Ptr("Creating")
	s.startARM(w, r, vm.Location, status, body, func(ctx context.Context) (any, error) {
		// The VM may have gone while the operation was queued.
		if _, err := s.o.Compute.GetVM(ctx, rg, name); err != nil {
			return nil, err
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		k := diskKey(rg, name)
		list := s.exts[k][:0:0]
		for _, a := range s.exts[k] {
			if !strings.EqualFold(a.Name, ext) {
				list = append(list, a)
			}
		}
		s.exts[k] = append(list, x)
		return nil, nil
	})
}
