"""The S3 path of imports against a real moto server (boto3 over HTTP, presigned POST and GET)."""

import pytest
import requests
from django.core.files.storage import default_storage

from classpoint.outbox import worker

from .test_imports import make_csv, roll

pytestmark = pytest.mark.django_db

BUCKET = "classpoint-test-uploads"


@pytest.fixture
def s3(settings):
    import boto3
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    ).create_bucket(Bucket=BUCKET)
    settings.STORAGE_BACKEND = "s3"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": endpoint,
                "region_name": "us-east-1",
                "access_key": "test",
                "secret_key": "test",
                "querystring_auth": True,
                "querystring_expire": 300,
                "file_overwrite": False,
                "default_acl": None,
            },
        },
    }
    yield endpoint
    server.stop()


def test_presigned_upload_import_and_presigned_errors_download(s3, school, registrar, api):
    api.force_authenticate(registrar)
    target = api.post("/api/v1/schools/greenfield/imports/upload-url/", {"file_name": "roll.csv"}).json()
    assert target["url"].startswith(s3) and "policy" in {k.lower() for k in target["fields"]}
    rows = roll(3)
    rows[2][9] = "+1"
    uploaded = requests.post(
        target["url"], data=target["fields"], files={"file": ("roll.csv", make_csv(rows))}, timeout=10
    )
    assert uploaded.status_code in (200, 201, 204), uploaded.text
    assert default_storage.exists(target["file_key"])
    job = api.post("/api/v1/schools/greenfield/imports/", {"file_key": target["file_key"], "mode": "import"}).json()
    worker.drain()
    detail = api.get(f"/api/v1/schools/greenfield/imports/{job['id']}/").json()
    assert (detail["status"], detail["created_count"], detail["failed_count"]) == ("succeeded", 2, 1)
    link = api.get(f"/api/v1/schools/greenfield/imports/{job['id']}/errors-url/").json()
    assert "Signature=" in link["url"] or "X-Amz-Signature=" in link["url"]
    report = requests.get(link["url"], timeout=10)
    assert report.status_code == 200 and "Guardian 1 phone" in report.content.decode("utf-8-sig")


def test_oversized_files_are_limited_by_the_policy_and_refused_by_the_job(s3, school, registrar, api, settings):
    import base64
    import json

    settings.IMPORT_MAX_BYTES = 100
    api.force_authenticate(registrar)
    target = api.post("/api/v1/schools/greenfield/imports/upload-url/", {"file_name": "big.csv"}).json()
    policy = json.loads(base64.b64decode(target["fields"]["policy"]))
    assert ["content-length-range", 1, 100] in policy["conditions"]  # S3 enforces it; moto does not
    requests.post(target["url"], data=target["fields"], files={"file": ("big.csv", make_csv(roll(5)))}, timeout=10)
    job = api.post("/api/v1/schools/greenfield/imports/", {"file_key": target["file_key"], "mode": "import"}).json()
    worker.drain()
    detail = api.get(f"/api/v1/schools/greenfield/imports/{job['id']}/").json()
    assert detail["status"] == "failed" and "larger than" in detail["message"]
