"""Where files go, as the environment says: the server's disk by default, an S3-compatible store with a bucket.

No object store runs here: the S3 case checks that the settings build django-storages' S3 backend with the
bucket, endpoint and private access asked for (making the backend opens no connection); test_s3 runs the
attachments through that configuration against an in-process S3 (moto's server)."""

import json
import os
import subprocess
import sys

from django.conf import settings

SHOW_STORAGE = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
s = storages["default"]
print(json.dumps({
    "class": type(s).__module__ + "." + type(s).__name__,
    "location": str(getattr(s, "location", "")),
    "bucket": getattr(s, "bucket_name", None),
    "endpoint": getattr(s, "endpoint_url", None),
    "acl": getattr(s, "default_acl", None),
    "signed": getattr(s, "querystring_auth", None),
    "overwrite": getattr(s, "file_overwrite", None),
    "addressing": getattr(s, "addressing_style", None),
    "media_root": str(settings.MEDIA_ROOT),
    "config": settings.STORAGES["default"],
}))
"""


def storage_for(**env):
    clean = {key: value for key, value in os.environ.items() if not key.startswith(("STORAGE_", "MEDIA_"))}
    environment = {**clean, "DJANGO_SETTINGS_MODULE": "crm.settings", "DEBUG": "true", **env}
    done = subprocess.run(
        [sys.executable, "-c", SHOW_STORAGE],
        env=environment,
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_files_stay_on_the_servers_disk_by_default_outside_the_static_files(tmp_path):
    default = storage_for()
    assert default["class"] == "django.core.files.storage.filesystem.FileSystemStorage"
    assert default["location"] == str(settings.BASE_DIR / "media")
    assert not default["location"].startswith(str(settings.STATIC_ROOT))
    assert storage_for(MEDIA_ROOT=str(tmp_path))["location"] == str(tmp_path)


def test_a_bucket_puts_files_in_an_s3_compatible_store_privately():
    s3 = storage_for(
        STORAGE_BUCKET="crm-evidence",
        STORAGE_URL="http://minio:9000",
        STORAGE_ACCESS_KEY="crm",
        STORAGE_SECRET_KEY="not-a-real-secret",
    )
    assert s3["class"] == "storages.backends.s3.S3Storage"
    assert s3["bucket"] == "crm-evidence" and s3["endpoint"] == "http://minio:9000"
    assert s3["acl"] == "private" and s3["signed"] is True and s3["overwrite"] is False
    assert s3["addressing"] == "path"
