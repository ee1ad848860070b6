"""Stored files are served as what their bytes are, never as what their name says: a PDF/HTML
polyglot named .html must not come back as text/html on our origin."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from classpoint import files

pytestmark = pytest.mark.django_db

POLYGLOT = b"%PDF-1.4\n<html><body><script>alert(document.cookie)</script></body></html>\n"


def _get(client, name, filename):
    from urllib.parse import urlsplit

    url, _expires = files.download_url(name, filename=filename)
    return client.get(urlsplit(url).path)


def test_pdf_html_polyglot_named_html_is_served_as_pdf(client):
    # given a stored upload whose bytes are a PDF (with HTML inside) and whose name says .html
    name = default_storage.save("uploads/test/evil.html", ContentFile(POLYGLOT))
    # when it is fetched through its signed link
    response = _get(client, name, "evil.html")
    # then the stored bytes decide the type, it downloads, and the browser may not sniff
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_html_without_a_known_signature_is_served_as_octet_stream(client):
    name = default_storage.save("uploads/test/page.html", ContentFile(b"<html><script>alert(1)</script></html>"))
    response = _get(client, name, "page.html")
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment")


def test_a_csv_report_is_served_as_csv(client):
    name = default_storage.save("imports/test/errors.csv", ContentFile(b"row,field,message\n2,phone,Not a number\n"))
    response = _get(client, name, "errors.csv")
    assert response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"].startswith("attachment")
