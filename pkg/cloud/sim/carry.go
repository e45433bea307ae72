package sim

import (
	"bufio"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/migrate-tool/migrate/pkg/cloud"
	"github.com/migrate-tool/migrate/pkg/inventory"
)

// What a VM carries beyond its disks and NICs, which a recreate must keep
// (issue 10): extensions, tags, host caching, boot diagnostics.
//
// A committed VM (and an Azure Stack Hub VM) has the inventory role's
// extensions, each Provisioning succeeded (Type is the classic extension's
// name, TypeHandlerVersion its version); its OS disk caches ReadWrite and
// its data disks None, the classic model's defaults for disks attached
// without -HostCaching (Add-AzureDataDisk); boot diagnostics into the
// role's storage account when enabled. Azure Stack Hub VMs also carry one
// tag, deployment=<deployment name>, so a recreate that drops tags shows.
// The classic migration makes no tags and sets no license type.
//
// A test hook makes an extension report Failed: Options.FailedExtensions
// and the file <stateDir>/sim/failed-extensions (one "<vm>/<extension>" a
// line, case-insensitive). It applies whenever the VM is read, whatever
// made the VM, so a recreate that re-adds the extension still sees it
// failed.

// Host caching of the disks the classic migration brings.
const (
	cachingOS   = "ReadWrite"
	cachingData = "None"
)

// extensionFailed is the provisioning state the hook reports.
const extensionFailed = "Failed"

// failedExtensionsFile is the hook's file (see Options.FailedExtensions).
const failedExtensionsFile = "failed-extensions"

// carryOver gives a VM the migration brings the extensions, boot
// diagnostics and (on Azure Stack Hub) tags of its role.
func (s *Sim) carryOver(vm *cloud.VM, cs *inventory.CloudService, r inventory.Role) {
	for _, e := range r.Extensions {
		vm.Extensions = append(vm.Extensions, cloud.Extension{Name: e.Name, Publisher: e.Publisher, Type: e.Name,
			TypeHandlerVersion: e.Version, AutoUpgradeMinorVersion: true, ProvisioningState: cloud.ExtensionSucceeded})
	}
	if bd := r.BootDiagnostics; bd != nil && bd.Enabled && bd.StorageAccount != "" {
		vm.BootDiagnostics = s.blobEndpoint(bd.StorageAccount)
	}
	if s.hub() {
		vm.Tags = map[string]string{"deployment": cs.Deployment.Name}
	}
}

// blobEndpoint is the account's blob service URI, on the host its VHDs
// use (Azure Stack Hub's endpoints differ from Azure's).
func (s *Sim) blobEndpoint(account string) string {
	if sa, ok := s.topo.ix.Storage[inventory.Key(account)]; ok {
		for _, d := range sa.Disks {
			if u, err := url.Parse(d.VHDURI); err == nil && u.Host != "" {
				return u.Scheme + "://" + u.Host + "/"
			}
		}
	}
	return "https://" + strings.ToLower(account) + ".blob.core.windows.net/"
}

// failedExtensions is the set of folded "<vm>/<extension>" the hook fails.
func (s *Sim) failedExtensions() map[string]bool {
	return s.hookNames(s.o.FailedExtensions, failedExtensionsFile)
}

// hookNames is a test hook's set of folded names: those of the option and
// those of the hook's file under the simulator's folder, one a line (read
// on every call, so a test can change it between commands).
func (s *Sim) hookNames(opt []string, file string) map[string]bool {
	out := map[string]bool{}
	for _, n := range opt {
		out[inventory.Key(n)] = true
	}
	f, err := os.Open(filepath.Join(s.store.dir, file))
	if err != nil {
		return out
	}
	defer func() { _ = f.Close() }() // read-only
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if n := strings.TrimSpace(sc.Text()); n != "" {
			out[inventory.Key(n)] = true
		}
	}
	return out
}

// withHook is vm as read: the hook's extensions Failed.
func (s *Sim) withHook(vm cloud.VM, failed map[string]bool) cloud.VM {
	if len(failed) == 0 {
		return vm
	}
	for i := range vm.Extensions {
		if failed[inventory.Key(vm.Name+"/"+vm.Extensions[i].Name)] {
			vm.Extensions[i].ProvisioningState = extensionFailed
		}
	}
	return vm
}
