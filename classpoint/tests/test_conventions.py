"""Guards on the house rules that a reviewer could miss."""

import re
from pathlib import Path

from django.apps import apps

from schools.models import SchoolScoped

ROOT = Path(__file__).resolve().parents[2]
READ_PATH_FILES = ("views.py", "api.py", "selectors.py")


def test_request_code_never_starts_an_unscoped_tenant_query():
    # Views, API and selectors reach tenant rows from the school (`school.students`,
    # `Model.objects.for_school(school)`), never from a bare `Model.objects.filter/get/all`.
    tenant_models = [m.__name__ for m in apps.get_models() if issubclass(m, SchoolScoped)]
    pattern = re.compile(rf"\b({'|'.join(tenant_models)})\.objects\.(?!for_school\b)")
    offenders = []
    for app in ("classpoint", "schools", "fees", "payments", "registrar", "messaging", "academics"):
        for path in (ROOT / app).rglob("*.py"):
            if path.name in READ_PATH_FILES and "tests" not in path.parts:
                for number, line in enumerate(path.read_text().splitlines(), 1):
                    # "# unscoped: <why>" marks the rare deliberate exception (a capability URL).
                    if pattern.search(line) and "# unscoped:" not in line:
                        offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "unscoped tenant queries:\n" + "\n".join(offenders)


def test_no_template_or_static_file_links_a_cdn():
    cdn = re.compile(r"https?://(?:cdn|unpkg|cdnjs|ajax\.googleapis|fonts\.googleapis|jsdelivr)", re.I)
    for base in ("templates", "static"):
        for path in (ROOT / base).rglob("*"):
            if path.is_file() and path.suffix in {".html", ".css", ".js"}:
                assert not cdn.search(path.read_text(errors="ignore")), path


def test_api_docs_render_from_vendored_assets(client, db):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.create_user("reader"))
    body = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in body and "cdn.jsdelivr" not in body


def test_every_model_has_a_plural_a_person_would_write():
    # Django adds "s" to the verbose name: "credit entrys" in the admin unless the model says better.
    ours = ("classpoint", "schools", "fees", "payments", "registrar", "messaging", "academics")
    wrong = [
        f"{model._meta.label}: {model._meta.verbose_name_plural}"
        for model in apps.get_models()
        if model._meta.app_label in ours
        and re.search(r"([^aeiou]ys|ss|[sxz]s|(ch|sh)s|fes)$", str(model._meta.verbose_name_plural))
    ]
    assert not wrong, "add verbose_name_plural:\n" + "\n".join(wrong)
