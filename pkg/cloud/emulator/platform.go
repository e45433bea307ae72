package emulator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/resourcemanager/compute/armcompute/v6"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/cloud/azure/armapi"
)

// The platform's own conversion, served from Options.Platform in the
// shapes of Azure/azure-rest-api-specs specification/compute/
// resource-manager/Microsoft.Compute/stable/2019-07-01/compute.json
// (availability sets, VirtualMachines_ConvertToManagedDisks) and
// stable/2019-04-01/skus.json (resource SKUs). Before calling the backend
// the emulator refuses what Azure refuses, in Azure's words, as listed on
// learn.microsoft.com virtual-machines/error-messages (MicrosoftDocs/
// azure-docs articles/virtual-machines/error-messages.md):
//
//   - BadRequest "Addition of a VM with managed disks to non-managed
//     Availability Set ..." for a managed-disk VM PUT into a Classic set;
//   - OperationNotAllowed "Operation '{0}' is not allowed on VM '{1}' since
//     the VM is not deallocated." for a conversion of a VM not
//     deallocated;
//   - OperationNotAllowed "VM '{0}' belongs to 'Classic' availability set
//     '{1}'. Please update the availability set to use 'Aligned' SKU and
//     then retry the Conversion.";
//   - OperationNotAllowed "Operation '{0}' is not allowed on VM '{1}' since
//     VM has extension '{2}' in failed state." (any state but Succeeded
//     here: the conversion needs every extension to have provisioned);
//   - OperationNotAllowed "VM '{0}' is already using managed disks.";
//   - OperationNotAllowed "Changing availability set SKU from 'Aligned' to
//     'Classic' is not allowed.";
//   - InvalidParameter "The specified fault domain count {0} must fall in
//     the range {1} to {2}.".

// classicMaxFaultDomains is the fault domain limit of a Classic set.
const classicMaxFaultDomains = 3

// defaultAlignedFaultDomains is the Aligned limit of a region the
// backend has no set in: 2, the lowest any region has.
const defaultAlignedFaultDomains = 2

// platformRoutes adds the availability set, resource SKU and conversion
// routes.
func (s *Server) platformRoutes(mux *http.ServeMux) {
	const (
		sub  = "/subscriptions/{sub}"
		rgp  = sub + "/resourceGroups/{rg}/providers/Microsoft.Compute"
		sets = rgp + "/availabilitySets/{name}"
	)
	h := func(pattern string, fn http.HandlerFunc) {
		mux.Handle(pattern, s.arm(s.needCompute(s.needPlatform(fn))))
	}
	h("GET "+sets, s.getAvailabilitySet)
	h("PUT "+sets, s.putAvailabilitySet)
	h("GET "+sub+"/providers/Microsoft.Compute/skus", s.listSKUs)
	mux.Handle("POST "+rgp+"/virtualMachines/{name}/convertToManagedDisks", s.armCall(s.needCompute(s.convertVM), true))
}

// needPlatform answers 501 when the server was given no Platform.
func (s *Server) needPlatform(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.o.Platform == nil {
			armError(w, http.StatusNotImplemented, "NotImplemented", "This emulator serves no availability sets.")
			return
		}
		h(w, r)
	}
}

func (s *Server) getAvailabilitySet(w http.ResponseWriter, r *http.Request) {
	set, err := s.o.Platform.GetAvailabilitySet(r.Context(), r.PathValue("rg"), r.PathValue("name"))
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, armapi.AvailabilitySetFromCloud(r.PathValue("sub"), set))
}

// putAvailabilitySet serves a PUT of an existing set: the backend only
// aligns, so that is what it serves (synchronously, 200, as the API
// does); creating a set is not served.
func (s *Server) putAvailabilitySet(w http.ResponseWriter, r *http.Request) {
	rg, name := r.PathValue("rg"), r.PathValue("name")
	var m armcompute.AvailabilitySet
	if !readBody(w, r, &m) {
		return
	}
	want := armapi.AvailabilitySetToCloud(m)
	have, err := s.o.Platform.GetAvailabilitySet(r.Context(), rg, name)
	if err != nil {
		if errors.Is(err, cloud.ErrNotFound) {
			armError(w, http.StatusNotImplemented, "NotImplemented", "This emulator aligns existing availability sets; it creates none.")
			return
		}
		writeARMCloudError(w, err)
		return
	}
	fd := want.FaultDomains
	if fd == 0 {
		fd = have.FaultDomains
	}
	switch {
	case strings.EqualFold(have.SKU, cloud.AvailabilitySetAligned) && !strings.EqualFold(want.SKU, cloud.AvailabilitySetAligned):
		armError(w, http.StatusConflict, "OperationNotAllowed", "Changing availability set SKU from 'Aligned' to 'Classic' is not allowed.")
		return
	case strings.EqualFold(want.SKU, cloud.AvailabilitySetAligned) && (fd < 1 || fd > have.MaxAlignedFaultDomains):
		armError(w, http.StatusBadRequest, "InvalidParameter",
			fmt.Sprintf("The specified fault domain count %d must fall in the range 1 to %d.", fd, have.MaxAlignedFaultDomains))
		return
	case strings.EqualFold(want.SKU, cloud.AvailabilitySetAligned):
		if err := s.o.Platform.AlignAvailabilitySet(r.Context(), rg, name, fd); err != nil {
			writeARMCloudError(w, err)
			return
		}
	}
	if have, err = s.o.Platform.GetAvailabilitySet(r.Context(), rg, name); err != nil {
		writeARMCloudError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, armapi.AvailabilitySetFromCloud(r.PathValue("sub"), have))
}

// listSKUs answers the resource SKU list with the availability set SKUs
// of the filtered location (the API supports only a location filter:
// "$filter=location eq 'westus'"). The Aligned limit is the backend's,
// read from a set in that location.
func (s *Server) listSKUs(w http.ResponseWriter, r *http.Request) {
	f := r.URL.Query().Get("$filter")
	loc := ""
	if i := strings.Index(f, "'"); i >= 0 {
		loc = strings.Trim(f[i:], "' ")
	}
	if loc == "" {
		armError(w, http.StatusBadRequest, "InvalidParameter", "This emulator answers resource SKUs for a location filter only: $filter=location eq '<location>'.")
		return
	}
	n, err := s.alignedLimit(r.Context(), loc)
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"value": armapi.AvailabilitySetSKUs(loc, classicMaxFaultDomains, n)})
}

// alignedLimit is the backend's Aligned fault domain limit in loc.
func (s *Server) alignedLimit(ctx context.Context, loc string) (int, error) {
	vms, err := s.o.Compute.ListVMs(ctx)
	if err != nil {
		return 0, err
	}
	for _, vm := range vms {
		if vm.AvailabilitySet == "" || armapi.Location(vm.Location) != armapi.Location(loc) {
			continue
		}
		set, err := s.o.Platform.GetAvailabilitySet(ctx, vm.ResourceGroup, vm.AvailabilitySet)
		if err != nil {
			return 0, err
		}
		if set.MaxAlignedFaultDomains > 0 {
			return set.MaxAlignedFaultDomains, nil
		}
	}
	return defaultAlignedFaultDomains, nil
}

// setSKU is the SKU of the VM's availability set, "" when it is in none
// or the server has no Platform to ask.
func (s *Server) setSKU(ctx context.Context, vm cloud.VM) (string, error) {
	if vm.AvailabilitySet == "" || s.o.Platform == nil {
		return "", nil
	}
	set, err := s.o.Platform.GetAvailabilitySet(ctx, vm.ResourceGroup, vm.AvailabilitySet)
	if err != nil {
		return "", err
	}
	return set.SKU, nil
}

// managedInClassicSet is Azure's refusal of a VM on managed disks in a
// Classic availability set, or "".
func (s *Server) managedInClassicSet(ctx context.Context, vm cloud.VM) (string, error) {
	if !vm.Managed() {
		return "", nil
	}
	sku, err := s.setSKU(ctx, vm)
	if err != nil || !strings.EqualFold(sku, cloud.AvailabilitySetClassic) {
		return "", err
	}
	return "Addition of a VM with managed disks to non-managed Availability Set or addition of a VM with blob based disks to managed Availability Set is not supported. Please create an Availability Set with 'managed' property set in order to add a VM with managed disks to it.", nil
}

// convertVM serves POST .../convertToManagedDisks: refused on Azure Stack
// Hub (its Microsoft.Compute has no such action) and for what Azure
// refuses, else the backend's conversion as a long-running operation.
func (s *Server) convertVM(w http.ResponseWriter, r *http.Request) {
	rg, name := r.PathValue("rg"), r.PathValue("name")
	if s.o.StackHub {
		noRegisteredProvider(w, "local", r.URL.Query().Get("api-version"), "virtualMachines/convertToManagedDisks", nil)
		return
	}
	if s.o.Platform == nil {
		armError(w, http.StatusNotImplemented, "NotImplemented", "This emulator serves no platform conversion.")
		return
	}
	vm, err := s.vmOf(r.Context(), rg, name)
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	const op = "ConvertToManagedDisks"
	refuse := func(msg string) { armError(w, http.StatusConflict, "OperationNotAllowed", msg) }
	if vm.Managed() {
		refuse(fmt.Sprintf("VM '%s' is already using managed disks.", name))
		return
	}
	if vm.PowerState != cloud.PowerDeallocated {
		refuse(fmt.Sprintf("Operation '%s' is not allowed on VM '%s' since the VM is not deallocated.", op, name))
		return
	}
	sku, err := s.setSKU(r.Context(), vm)
	if err != nil {
		writeARMCloudError(w, err)
		return
	}
	if strings.EqualFold(sku, cloud.AvailabilitySetClassic) {
		refuse(fmt.Sprintf("VM '%s' belongs to 'Classic' availability set '%s'. Please update the availability set to use 'Aligned' SKU and then retry the Conversion.", name, vm.AvailabilitySet))
		return
	}
	for _, x := range vm.Extensions {
		if !strings.EqualFold(x.ProvisioningState, cloud.ExtensionSucceeded) {
			refuse(fmt.Sprintf("Operation '%s' is not allowed on VM '%s' since VM has extension '%s' in failed state.", op, name, x.Name))
			return
		}
	}
	s.startARM(w, r, vm.Location, http.StatusAccepted, nil, func(ctx context.Context) (any, error) {
		return nil, s.o.Platform.ConvertToManagedDisks(ctx, rg, name)
	})
}
