"""The azure driver's calls that rm.py and rm_platform.py leave out, through
Microsoft's Python SDKs as Debian's azure-cli package ships them
(azure.mgmt.compute, azure.mgmt.storage, azure.storage.blob), each
long-running operation through the SDK's own poller: the storage account's
keys (listKeys), a VHD's blob snapshot, its changed pages since a previous
snapshot and the snapshot's deletion, a managed disk imported from a VHD, a
disk created for upload with a page written through its write SAS, a page
of a VHD snapshot copied into it by the service (Put Page From URL), both
read back through a read SAS, an image created from a VHD and read back, and a
VM deleted (then ResourceNotFound) and created again from its definition,
converted by the platform (Convert To Managed Disks), and its VHD deleted
with its snapshots.

Arguments: resource group, VM, blob front (the emulator's /blob/{account}),
front account. Environment: BASE_URI, SUBSCRIPTION_ID, TOKEN,
REQUESTS_CA_BUNDLE (trusts the emulator). Prints JSON."""

import datetime
import json
import os
import sys
import time
from urllib.parse import urlencode, urlparse

from azure.core.credentials import AccessToken
from azure.core.exceptions import ResourceNotFoundError
from azure.mgmt.compute import ComputeManagementClient
from azure.mgmt.storage import StorageManagementClient
from azure.storage.blob import BlobClient, BlobSasPermissions, generate_blob_sas


class EmulatorToken:
    """A credential that returns the token the emulator's authority issued."""

    def get_token(self, *scopes, **kwargs):
        return AccessToken(os.environ["TOKEN"], int(time.time()) + 3600)


def not_found(get):
    try:
        get()
        return "still there"
    except ResourceNotFoundError as e:
        return type(e).__name__ + ":" + str(e.error.code if e.error else None)


def main():
    base, sub = os.environ["BASE_URI"], os.environ["SUBSCRIPTION_ID"]
    rg, name, front, front_account = sys.argv[1:5]
    cred = EmulatorToken()
    kw = dict(base_url=base, credential_scopes=["https://management.azure.com/.default"], polling_interval=0.01)
    compute = ComputeManagementClient(cred, sub, **kw)
    storage = StorageManagementClient(cred, sub, **kw)
    out = {}

    vm = compute.virtual_machines.get(rg, name)
    vhd = vm.storage_profile.os_disk.vhd.uri
    account = urlparse(vhd).hostname.split(".")[0]
    container, blob = urlparse(vhd).path.lstrip("/").split("/", 1)

    # The driver finds the account's id in the subscription's list, then
    # its key with listKeys.
    acct = next(a for a in storage.storage_accounts.list() if a.name == account)
    acct_rg = acct.id.split("/")[4]
    keys = storage.storage_accounts.list_keys(acct_rg, account).keys
    out["keys"] = [k.key_name for k in keys]

    # The VHD's page blob through a SAS signed with that key, at the blob
    # endpoint the driver is configured with (the emulator's front).
    def vhd_sas(perm, snapshot=None):
        token = generate_blob_sas(front_account, container, blob, account_key=keys[0].value, permission=perm,
                                  expiry=datetime.datetime.utcnow() + datetime.timedelta(hours=1), snapshot=snapshot)
        return f"{front}/{container}/{blob}?{token}"

    src = BlobClient.from_blob_url(vhd_sas(BlobSasPermissions(read=True, write=True, delete=True, delete_previous_version=False)))
    out["vhdBytes"] = src.get_blob_properties().size
    first = src.create_snapshot()["snapshot"]
    page = BlobClient.from_blob_url(vhd_sas(BlobSasPermissions(read=True, write=True)))
    page.upload_page(b"\x5a" * 512, offset=4096, length=512)
    second = src.create_snapshot()["snapshot"]
    newer = BlobClient.from_blob_url(vhd_sas(BlobSasPermissions(read=True), second), snapshot=second)
    changed, _ = newer.get_page_ranges(previous_snapshot_diff=first)
    out["changedSince"] = [[r["start"], r["end"]] for r in changed]
    for snap in (first, second):
        BlobClient.from_blob_url(vhd_sas(BlobSasPermissions(read=True, delete=True), snap), snapshot=snap).delete_blob()

    # A managed disk imported from the VHD.
    imported = compute.disks.begin_create_or_update(rg, name + "-import", {
        "location": vm.location,
        "sku": {"name": "Standard_LRS"},
        "creation_data": {"create_option": "Import", "source_uri": vhd, "storage_account_id": acct.id},
    }).result()
    got = compute.disks.get(rg, name + "-import")
    out["imported"] = {"name": got.name, "option": got.creation_data.create_option, "state": imported.disk_state}

    # A disk for upload: a page written through the write SAS, read back
    # through a read SAS.
    compute.disks.begin_create_or_update(rg, name + "-upload", {
        "location": vm.location,
        "sku": {"name": "Standard_LRS"},
        "creation_data": {"create_option": "Upload", "upload_size_bytes": 4 * 1024 * 1024 + 512},
    }).result()
    w = compute.disks.begin_grant_access(rg, name + "-upload", {"access": "Write", "duration_in_seconds": 3600}).result()
    data = bytes(range(256)) * 16
    BlobClient.from_blob_url(w.access_sas).upload_page(data, offset=0, length=len(data))
    # Put Page From URL: a page of a VHD snapshot copied into the upload
    # by the service (the pre-copy's server-side copy), read back below.
    snap = src.create_snapshot()["snapshot"]
    source = vhd_sas(BlobSasPermissions(read=True), snap) + "&" + urlencode({"snapshot": snap})
    BlobClient.from_blob_url(w.access_sas).upload_pages_from_url(source, offset=4096, length=512, source_offset=4096)
    compute.disks.begin_revoke_access(rg, name + "-upload").result()
    r = compute.disks.begin_grant_access(rg, name + "-upload", {"access": "Read", "duration_in_seconds": 3600}).result()
    back = BlobClient.from_blob_url(r.access_sas).download_blob(offset=0, length=len(data)).readall()
    out["pageReadBack"] = back == data
    copied = BlobClient.from_blob_url(r.access_sas).download_blob(offset=4096, length=512).readall()
    out["pageFromURL"] = copied == b"\x5a" * 512
    compute.disks.begin_revoke_access(rg, name + "-upload").result()
    out["uploadState"] = compute.disks.get(rg, name + "-upload").disk_state

    # An image from the VHD.
    compute.images.begin_create_or_update(rg, name + "-image", {
        "location": vm.location,
        "storage_profile": {"os_disk": {"os_type": "Linux", "os_state": "Generalized", "blob_uri": vhd}},
    }).result()
    img = compute.images.get(rg, name + "-image")
    out["image"] = {"name": img.name, "blob": img.storage_profile.os_disk.blob_uri}

    # The VM deleted, then created again from its definition.
    definition = compute.virtual_machines.get(rg, name)
    compute.virtual_machines.begin_delete(rg, name).result()
    out["deletedVM"] = not_found(lambda: compute.virtual_machines.get(rg, name))
    again = compute.virtual_machines.begin_create_or_update(rg, name, definition).result()
    out["recreated"] = {"name": again.name, "osVhd": again.storage_profile.os_disk.vhd.uri}

    # The platform's conversion, then the VHD no VM holds any more deleted
    # with its snapshots (what `disks cleanup` does).
    compute.virtual_machines.begin_deallocate(rg, name).result()  # Azure converts deallocated VMs only
    compute.virtual_machines.begin_convert_to_managed_disks(rg, name).result()
    converted = compute.virtual_machines.get(rg, name, expand="instanceView")
    out["converted"] = {
        "managedOS": converted.storage_profile.os_disk.managed_disk is not None,
        "power": [s.code for s in converted.instance_view.statuses if s.code.startswith("PowerState/")],
    }
    BlobClient.from_blob_url(vhd_sas(BlobSasPermissions(read=True, delete=True))).delete_blob(delete_snapshots="include")
    out["deletedVHD"] = not_found(lambda: src.get_blob_properties())
    print(json.dumps(out))


main()
