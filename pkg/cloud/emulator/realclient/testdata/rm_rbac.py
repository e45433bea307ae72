"""The Resource Manager reads `migrate inventory discover` makes for the
role assignments on classic resources, through azure.mgmt.authorization as
Debian's azure-cli package ships it (api_version 2022-04-01):
role_assignments.list_for_subscription (every page, through the SDK's own
pager and nextLink), then role_definitions.get_by_id once per distinct
roleDefinitionId. Environment: BASE_URI, SUBSCRIPTION_ID, TOKEN,
REQUESTS_CA_BUNDLE (trusts the emulator). Prints JSON: each assignment's
scope, principal and role name, sorted."""

import json
import os
import time

from azure.core.credentials import AccessToken
from azure.mgmt.authorization import AuthorizationManagementClient


class EmulatorToken:
    """A credential that returns the token the emulator's authority issued."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken(os.environ["TOKEN"], int(time.time()) + 3600)


def main():
    base, sub = os.environ["BASE_URI"], os.environ["SUBSCRIPTION_ID"]
    client = AuthorizationManagementClient(EmulatorToken(), sub, api_version="2022-04-01", base_url=base,
                                           credential_scopes=["https://management.azure.com/.default"])
    roles = {}
    out = []
    for a in client.role_assignments.list_for_subscription():
        rid = a.role_definition_id
        if rid not in roles:
            d = client.role_definitions.get_by_id(rid)
            roles[rid] = {"roleName": d.role_name, "roleType": d.role_type, "name": d.name}
        out.append({"scope": a.scope, "principalId": a.principal_id, "principalType": a.principal_type,
                    "roleName": roles[rid]["roleName"], "roleType": roles[rid]["roleType"],
                    "idMatchesScope": a.id == a.scope + "/providers/Microsoft.Authorization/roleAssignments/" + a.name})
    out.sort(key=lambda x: (x["scope"], x["principalId"], x["roleName"]))
    print(json.dumps({"assignments": out, "definitionsRead": len(roles)}, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
