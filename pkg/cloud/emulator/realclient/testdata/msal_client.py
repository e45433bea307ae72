"""OAuth 2.0 client-credential flow through MSAL for Python (as Debian's
azure-cli ships it), with tenant discovery: MSAL reads the authority's
{tenant}/v2.0/.well-known/openid-configuration, then asks its token
endpoint. Instance discovery is off, as for any authority that is not one
of Microsoft's public clouds (azidentity's DisableInstanceDiscovery).
Environment: AUTHORITY (https://host/tenant), CLIENT_ID, CLIENT_SECRET,
SCOPE, REQUESTS_CA_BUNDLE. Prints JSON."""

import json
import os

import msal

app = msal.ConfidentialClientApplication(
    os.environ["CLIENT_ID"],
    client_credential=os.environ["CLIENT_SECRET"],
    authority=os.environ["AUTHORITY"],
    instance_discovery=False,
)
ok = app.acquire_token_for_client(scopes=[os.environ["SCOPE"]])
bad = msal.ConfidentialClientApplication(
    os.environ["CLIENT_ID"],
    client_credential="wrong",
    authority=os.environ["AUTHORITY"],
    instance_discovery=False,
).acquire_token_for_client(scopes=[os.environ["SCOPE"]])
print(json.dumps({
    "tokenType": ok.get("token_type"),
    "hasToken": bool(ok.get("access_token")),
    "expiresIn": ok.get("expires_in", 0) > 0,
    "error": ok.get("error"),
    "wrongSecretError": bad.get("error"),
}))
