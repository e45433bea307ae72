"""The Blob service read `migrate inventory discover` makes for each disk,
through azure.storage.blob: Get Blob Properties of the VHD's page blob with
a read SAS signed by the classic account's key (which storage_keys.js read
with azure-asm-storage's getKeys), at the blob endpoint the driver is
configured with (the emulator's front for Azurite).

Arguments: front, front_account, then one container/blob per disk. The key
comes in the environment (ACCOUNT_KEY), never on the command line;
REQUESTS_CA_BUNDLE trusts the emulator. Prints JSON: each blob's size and
type."""

import datetime
import json
import os
import sys

from azure.storage.blob import BlobClient, BlobSasPermissions, generate_blob_sas


def main():
    front, front_account = sys.argv[1:3]
    key = os.environ["ACCOUNT_KEY"]
    out = {}
    for path in sys.argv[3:]:
        container, blob = path.split("/", 1)
        token = generate_blob_sas(front_account, container, blob, account_key=key,
                                  permission=BlobSasPermissions(read=True),
                                  expiry=datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1))
        props = BlobClient.from_blob_url(front.rstrip("/") + "/" + container + "/" + blob + "?" + token).get_blob_properties()
        out[path] = {"size": props.size, "type": str(props.blob_type)}
    print(json.dumps(out, indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
