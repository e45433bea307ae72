"""Discovery's regional usage reads through Microsoft's Python SDKs
(azure.mgmt.compute and azure.mgmt.network as Debian's azure-cli package
ships them, what `az vm list-usage` and `az network list-usages` call):
Usage_List of Microsoft.Compute (compute 2022-08-01) and Usages_List of
Microsoft.Network (network 2022-07-01), the newest each SDK has, for each
region given. Environment: BASE_URI, SUBSCRIPTION_ID, TOKEN,
REQUESTS_CA_BUNDLE (trusts the emulator). Arguments: regions (canonical
names). Prints JSON: per region, each counter's limit, current value and
the free count limit - current."""

import json
import os
import sys
import time

from azure.core.credentials import AccessToken
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.network import NetworkManagementClient


class EmulatorToken:
    """A credential that returns the token the emulator's authority issued."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken(os.environ["TOKEN"], int(time.time()) + 3600)


def main():
    base, sub = os.environ["BASE_URI"], os.environ["SUBSCRIPTION_ID"]
    kw = {"base_url": base, "credential_scopes": ["https://management.azure.com/.default"]}
    compute = ComputeManagementClient(EmulatorToken(), sub, api_version="2022-08-01", **kw)
    network = NetworkManagementClient(EmulatorToken(), sub, api_version="2022-07-01", **kw)
    out = {}
    for region in sys.argv[1:]:
        counters = {}
        for provider, usages in (("compute", compute.usage.list(region)), ("network", network.usages.list(region))):
            for u in usages:
                counters[provider + "/" + u.name.value] = {
                    "name": u.name.localized_value, "unit": u.unit,
                    "limit": u.limit, "current": u.current_value, "free": u.limit - u.current_value,
                }
        out[region] = counters
    print(json.dumps(out, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
