"""The platform services discovery files under classic VNets, listed by
subscription through Microsoft's Python SDKs as Debian's azure-cli package
ships them, at each SDK's default api-version: App Service Environments
(azure.mgmt.web, 2022-03-01), HDInsight clusters (azure.mgmt.hdinsight,
2021-06-01) and API Management services (azure.mgmt.apimanagement,
2021-08-01). Environment: BASE_URI, SUBSCRIPTION_ID, TOKEN,
REQUESTS_CA_BUNDLE (trusts the emulator). Prints JSON."""

import json
import os
import time

from azure.core.credentials import AccessToken
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.hdinsight import HDInsightManagementClient
from azure.mgmt.web import WebSiteManagementClient


class EmulatorToken:
    """A credential that returns the token the emulator's authority issued."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken(os.environ["TOKEN"], int(time.time()) + 3600)


def main():
    base, sub = os.environ["BASE_URI"], os.environ["SUBSCRIPTION_ID"]
    cred = EmulatorToken()
    kw = dict(base_url=base, credential_scopes=["https://management.azure.com/.default"])
    out = {}

    web = WebSiteManagementClient(cred, sub, **kw)
    out["hostingEnvironments"] = sorted((
        {"id": a.id, "name": a.name, "kind": a.kind, "location": a.location,
         "vnet": a.virtual_network.id, "vnetType": a.virtual_network.type,
         "subnet": a.virtual_network.subnet}
        for a in web.app_service_environments.list()), key=lambda a: a["id"])

    hdinsight = HDInsightManagementClient(cred, sub, **kw)
    out["hdinsightClusters"] = sorted((
        {"id": c.id, "name": c.name, "location": c.location, "osType": c.properties.os_type,
         "kind": c.properties.cluster_definition.kind,
         "roles": [{"name": r.name, "vnet": r.virtual_network_profile.id, "subnet": r.virtual_network_profile.subnet}
                   for r in c.properties.compute_profile.roles]}
        for c in hdinsight.clusters.list()), key=lambda c: c["id"])

    apim = ApiManagementClient(cred, sub, **kw)
    out["apiManagementServices"] = sorted((
        {"id": a.id, "name": a.name, "location": a.location, "sku": a.sku.name,
         "virtualNetworkType": a.virtual_network_type, "platformVersion": a.platform_version,
         "subnet": a.virtual_network_configuration.subnet_resource_id,
         "subnetName": a.virtual_network_configuration.subnetname,
         "vnetId": a.virtual_network_configuration.vnetid}
        for a in apim.api_management_service.list()), key=lambda a: a["id"])

    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
