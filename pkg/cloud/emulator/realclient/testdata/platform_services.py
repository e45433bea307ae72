"""The platform services discovery files under classic VNets, listed by
subscription through Microsoft's Python SDKs as Debian's azure-cli package
ships them, at each SDK's default api-version: App Service Environments
(azure.mgmt.web, 2022-03-01), HDInsight clusters (azure.mgmt.hdinsight,
2021-06-01) and API Management services (azure.mgmt.apimanagement,
2021-08-01). Azure AD Domain Services has no SDK there (no
azure-mgmt-domainservices in Debian's azure-cli): its list goes through
the pipeline every one of those SDKs is built on, azure.mgmt.core's
ARMPipelineClient with the ARM challenge authentication policy and ARM
error format, at 2017-06-01 (the driver's default) and 2021-05-01 (replica
sets). Environment: BASE_URI, SUBSCRIPTION_ID, TOKEN,
REQUESTS_CA_BUNDLE (trusts the emulator). Prints JSON."""

import json
import os
import time

from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline.policies import HeadersPolicy, RetryPolicy, UserAgentPolicy
from azure.core.rest import HttpRequest
from azure.mgmt.core import ARMPipelineClient
from azure.mgmt.core.exceptions import ARMErrorFormat
from azure.mgmt.core.policies import ARMChallengeAuthenticationPolicy
from azure.mgmt.apimanagement import ApiManagementClient
from azure.mgmt.hdinsight import HDInsightManagementClient
from azure.mgmt.web import WebSiteManagementClient


class EmulatorToken:
    """A credential that returns the token the emulator's authority issued."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken(os.environ["TOKEN"], int(time.time()) + 3600)


def list_arm(base, cred, path, api_version):
    """Lists path through azure.mgmt.core's pipeline, following nextLink."""
    client = ARMPipelineClient(base_url=base, policies=[
        HeadersPolicy(), UserAgentPolicy(), RetryPolicy(),
        ARMChallengeAuthenticationPolicy(cred, "https://management.azure.com/.default")])
    url, items = client.format_url(path) + "?api-version=" + api_version, []
    while url:
        resp = client.send_request(HttpRequest("GET", url))
        if resp.status_code != 200:
            raise HttpResponseError(response=resp, error_format=ARMErrorFormat)
        page = resp.json()
        items += page["value"]
        url = page.get("nextLink")
    return items


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

    domains = {}
    for version in ("2017-06-01", "2021-05-01"):
        listed = list_arm(base, cred, f"/subscriptions/{sub}/providers/Microsoft.AAD/domainServices", version)
        domains[version] = sorted((
            {"id": d["id"], "name": d["name"], "location": d["location"],
             "subnetId": d["properties"].get("subnetId"), "vnetSiteId": d["properties"].get("vnetSiteId"),
             "replicaSets": [{"subnetId": r["subnetId"], "vnetSiteId": r["vnetSiteId"]}
                             for r in d["properties"].get("replicaSets", [])]}
            for d in listed), key=lambda d: d["id"])
    out["domainServices"] = domains

    print(json.dumps(out, sort_keys=True))


if __name__ == "__main__":
    main()
