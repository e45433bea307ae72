"""The Resource Manager VNet list discovery reads classic VNets' peerings
from (VirtualNetworks_ListAll), through Microsoft's Python SDK
(azure.mgmt.network as Debian's azure-cli package ships it; its pager
follows nextLink). Environment: BASE_URI, SUBSCRIPTION_ID, TOKEN,
REQUESTS_CA_BUNDLE (trusts the emulator). Prints JSON: per VNet its id,
name, type, location and address space, and per peering its name, remote
VNet id and peering state, as the SDK parsed them."""

import json
import os
import time

from azure.core.credentials import AccessToken
from azure.mgmt.network import NetworkManagementClient


class EmulatorToken:
    """A credential that returns the token the emulator's authority issued."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken(os.environ["TOKEN"], int(time.time()) + 3600)


def main():
    base, sub = os.environ["BASE_URI"], os.environ["SUBSCRIPTION_ID"]
    network = NetworkManagementClient(EmulatorToken(), sub, base_url=base,
                                      credential_scopes=["https://management.azure.com/.default"])
    out = []
    for vn in network.virtual_networks.list_all():
        out.append({
            "id": vn.id,
            "name": vn.name,
            "type": vn.type,
            "location": vn.location,
            "addressPrefixes": vn.address_space.address_prefixes if vn.address_space else None,
            "peerings": sorted(({
                "name": p.name,
                "remote": p.remote_virtual_network.id if p.remote_virtual_network else None,
                "state": p.peering_state,
                "allowVirtualNetworkAccess": p.allow_virtual_network_access,
                "provisioningState": p.provisioning_state,
            } for p in vn.virtual_network_peerings or []), key=lambda p: p["name"]),
        })
    out.sort(key=lambda v: v["id"].lower())
    print(json.dumps({"virtualNetworks": out}))


main()
