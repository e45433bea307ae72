"""The platform conversion's reads through Microsoft's Python SDK
(azure.mgmt.compute as Debian's azure-cli package ships it): an
availability set's SKU and fault domains, the region's Aligned limit from
the resource SKUs, the set aligned, an extension added to a VM through the
SDK's own poller, and the VM's extensions read back (listed, and as the
VM's resources). Environment: BASE_URI, SUBSCRIPTION_ID, TOKEN,
REQUESTS_CA_BUNDLE (trusts the emulator). Arguments: resource group, VM,
availability set, location. Prints JSON."""

import json
import os
import sys
import time

from azure.core.credentials import AccessToken
from azure.mgmt.compute import ComputeManagementClient


class EmulatorToken:
    """A credential that returns the token the emulator's authority issued."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken(os.environ["TOKEN"], int(time.time()) + 3600)


def main():
    base, sub = os.environ["BASE_URI"], os.environ["SUBSCRIPTION_ID"]
    rg, vm_name, set_name, loc = sys.argv[1:5]
    compute = ComputeManagementClient(EmulatorToken(), sub, base_url=base,
                                      credential_scopes=["https://management.azure.com/.default"],
                                      polling_interval=0.01)
    out = {}

    s = compute.availability_sets.get(rg, set_name)
    out["set"] = {"sku": s.sku.name, "faultDomains": s.platform_fault_domain_count,
                  "updateDomains": s.platform_update_domain_count,
                  "vms": sorted(v.id.split("/")[-1] for v in s.virtual_machines)}
    limits = {}
    for sku in compute.resource_skus.list(filter=f"location eq '{loc}'"):
        if sku.resource_type != "availabilitySets":
            continue
        for c in sku.capabilities:
            if c.name == "MaximumPlatformFaultDomainCount":
                limits[sku.name] = int(c.value)
    out["faultDomainLimits"] = limits
    s = compute.availability_sets.create_or_update(rg, set_name, {
        "location": s.location, "sku": {"name": "Aligned"},
        "platform_fault_domain_count": limits["Aligned"],
        "platform_update_domain_count": s.platform_update_domain_count,
    })
    out["aligned"] = {"sku": s.sku.name, "faultDomains": s.platform_fault_domain_count}

    ext = compute.virtual_machine_extensions.begin_create_or_update(rg, vm_name, "script", {
        "location": loc, "publisher": "Microsoft.Compute", "type_properties_type": "CustomScriptExtension",
        "type_handler_version": "1.10", "auto_upgrade_minor_version": True,
        "settings": {"commandToExecute": "hostname"},
    }).result()
    out["extension"] = {"name": ext.name, "state": ext.provisioning_state}
    listed = compute.virtual_machine_extensions.list(rg, vm_name)
    out["extensions"] = sorted(
        f"{x.name}:{x.publisher}/{x.type_properties_type}@{x.type_handler_version}:{x.provisioning_state}:{json.dumps(x.settings, sort_keys=True)}"
        for x in (listed.value or []))
    vm = compute.virtual_machines.get(rg, vm_name)
    out["vmResources"] = sorted(r.name for r in (vm.resources or []))
    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
