"""Resource Manager calls of the disk step through Microsoft's Python SDKs
(azure.mgmt.compute, azure.mgmt.storage, azure.mgmt.resource as Debian's
azure-cli package ships them), each long-running operation through the
SDK's own poller. Environment: BASE_URI, SUBSCRIPTION_ID, TOKEN,
REQUESTS_CA_BUNDLE (trusts the emulator). Prints JSON."""

import json
import os
import sys
import time

from azure.core.credentials import AccessToken
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.resource import ResourceManagementClient
from azure.mgmt.storage import StorageManagementClient


class EmulatorToken:
    """A credential that returns the token the emulator's authority issued."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken(os.environ["TOKEN"], int(time.time()) + 3600)


def main():
    base, sub = os.environ["BASE_URI"], os.environ["SUBSCRIPTION_ID"]
    cred = EmulatorToken()
    kw = dict(base_url=base, credential_scopes=["https://management.azure.com/.default"], polling_interval=0.01)
    compute = ComputeManagementClient(cred, sub, **kw)
    resources = ResourceManagementClient(cred, sub, **kw)
    storage = StorageManagementClient(cred, sub, **kw)
    out = {}

    out["provider"] = resources.providers.get("Microsoft.ClassicInfrastructureMigrate").registration_state
    vms = list(compute.virtual_machines.list_all())
    out["vms"] = sorted(f"{vm.id.split('/')[4]}/{vm.name}@{vm.location}" for vm in vms)
    rg = sys.argv[1]
    name = sys.argv[2]
    out["vmsInGroup"] = sorted(vm.name for vm in compute.virtual_machines.list(rg))
    vm = compute.virtual_machines.get(rg, name, expand="instanceView")
    out["vm"] = {
        "name": vm.name,
        "location": vm.location,
        "osVhd": vm.storage_profile.os_disk.vhd.uri if vm.storage_profile.os_disk.vhd else None,
        "power": [s.code for s in vm.instance_view.statuses if s.code.startswith("PowerState/")],
    }
    compute.virtual_machines.begin_deallocate(rg, name).result()
    vm = compute.virtual_machines.get(rg, name, expand="instanceView")
    out["afterDeallocate"] = [s.code for s in vm.instance_view.statuses if s.code.startswith("PowerState/")]
    compute.virtual_machines.begin_start(rg, name).result()

    disk = compute.disks.begin_create_or_update(rg, name + "-upload", {
        "location": vm.location,
        "sku": {"name": "Standard_LRS"},
        "creation_data": {"create_option": "Upload", "upload_size_bytes": 32 * 1024 * 1024 + 512},
    }).result()
    out["disk"] = {"name": disk.name, "state": disk.disk_state}
    access = compute.disks.begin_grant_access(rg, name + "-upload", {"access": "Write", "duration_in_seconds": 3600}).result()
    out["sas"] = bool(access.access_sas)
    compute.disks.begin_revoke_access(rg, name + "-upload").result()
    compute.disks.begin_delete(rg, name + "-upload").result()
    try:
        compute.disks.get(rg, name + "-upload")
        out["deletedDisk"] = "still there"
    except Exception as e:  # azure.core.exceptions.ResourceNotFoundError
        out["deletedDisk"] = type(e).__name__ + ":" + str(getattr(e, "error", None) and e.error.code)

    out["storageAccounts"] = sorted(f"{a.name}@{a.location}/{a.sku.name}" for a in storage.storage_accounts.list())
    print(json.dumps(out))


main()
