"""Discovery's Azure Monitor reads through Microsoft's Python SDK
(azure.mgmt.monitor as Debian's azure-cli package ships it), each list at
the API version the azure driver sends: classic alert rules (2016-03-01)
with the resource each watches, metric alerts (2018-03-01) with their
scopes, and autoscale settings (2015-04-01) with their targets.
Environment: BASE_URI, SUBSCRIPTION_ID, TOKEN, REQUESTS_CA_BUNDLE (trusts
the emulator). Prints JSON."""

import json
import os
import time

from azure.core.credentials import AccessToken
from azure.mgmt.monitor.v2015_04_01 import MonitorManagementClient as Autoscale
from azure.mgmt.monitor.v2016_03_01 import MonitorManagementClient as AlertRules
from azure.mgmt.monitor.v2018_03_01 import MonitorManagementClient as MetricAlerts


class EmulatorToken:
    """A credential that returns the token the emulator's authority issued."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken(os.environ["TOKEN"], int(time.time()) + 3600)


def client(cls):
    return cls(EmulatorToken(), os.environ["SUBSCRIPTION_ID"], base_url=os.environ["BASE_URI"],
               credential_scopes=["https://management.azure.com/.default"])


def main():
    out = {}
    out["alertRules"] = [{
        "name": a.name, "location": a.location, "enabled": a.is_enabled,
        "condition": a.condition.odata_type, "dataSource": a.condition.data_source.odata_type,
        "resourceUri": a.condition.data_source.resource_uri,
    } for a in client(AlertRules).alert_rules.list_by_subscription()]
    out["metricAlerts"] = [{
        "name": a.name, "location": a.location, "enabled": a.enabled, "severity": a.severity,
        "criteria": a.criteria.odata_type, "scopes": a.scopes,
    } for a in client(MetricAlerts).metric_alerts.list_by_subscription()]
    out["autoscaleSettings"] = [{
        "name": s.name, "location": s.location, "enabled": s.enabled,
        "targetResourceUri": s.target_resource_uri,
        "capacity": [[p.capacity.minimum, p.capacity.maximum, p.capacity.default] for p in s.profiles],
    } for s in client(Autoscale).autoscale_settings.list_by_subscription()]
    print(json.dumps(out, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
