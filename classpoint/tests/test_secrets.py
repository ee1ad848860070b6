import json

import pytest

from classpoint import secrets


@pytest.fixture(autouse=True)
def fresh():
    secrets.clear_cache()
    yield
    secrets.clear_cache()


def test_env_backend_reads_json_by_name(monkeypatch, settings):
    settings.SECRETS_BACKEND = "env"
    monkeypatch.setenv("CLASSPOINT_DEV_PROVIDERS_TWILIO", json.dumps({"type": "twilio", "accountSid": "AC1"}))
    assert secrets.get_secret(secrets.secret_name("providers", "twilio"))["accountSid"] == "AC1"


def test_file_backend(tmp_path, settings):
    path = tmp_path / "secrets.json"
    path.write_text(json.dumps({"classpoint/dev/payments/webhook": "whsec"}))
    settings.SECRETS_BACKEND, settings.SECRETS_FILE = "file", str(path)
    assert secrets.get_secret("classpoint/dev/payments/webhook") == "whsec"


def test_missing_secret_names_the_variable(settings):
    settings.SECRETS_BACKEND = "env"
    with pytest.raises(secrets.SecretNotFound, match="CLASSPOINT_DEV_PROVIDERS_NOPE"):
        secrets.get_secret("classpoint/dev/providers/nope")
