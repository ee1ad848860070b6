"""Guards on the house rules that a reviewer could miss."""

import re
from pathlib import Path

from django.apps import apps

from schools.models import SchoolScoped

ROOT = Path(__file__).resolve().parents[2]
APPS = ("classpoint", "schools", "fees", "payments", "registrar", "messaging", "academics")


def serves_requests(path: Path) -> bool:
    # Request code is spread over many modules (`panel_views.py`, `proofs_api.py`,
    # `imports/api.py`, template tags, `api/` packages); matching by shape keeps a new one covered.
    if "tests" in path.parts or "migrations" in path.parts:
        return False
    name = path.name
    return (
        name.endswith(("views.py", "api.py"))
        or name == "selectors.py"
        or any(part in ("templatetags", "selectors") or part.endswith(("views", "api")) for part in path.parent.parts)
    )


def request_modules() -> list[Path]:
    return sorted(path for app in APPS for path in (ROOT / app).rglob("*.py") if serves_requests(path))


def test_request_code_never_starts_an_unscoped_tenant_query():
    # Views, API and selectors reach tenant rows from the school (`school.students`,
    # `Model.objects.for_school(school)`), never from a bare `Model.objects.filter/get/all`.
    # `.none()` reads no rows (a form's placeholder before the school is known); a chain split over
    # lines and `get_object_or_404(Model, ...)` start a query just the same.
    tenant_models = "|".join(m.__name__ for m in apps.get_models() if issubclass(m, SchoolScoped))
    pattern = re.compile(
        rf"\b(?:{tenant_models})\s*\.\s*objects\s*\.\s*(?!for_school\b|none\(\))"
        rf"|\bget_(?:object|list)_or_404\(\s*(?:{tenant_models})\b"
    )
    offenders = []
    for path in request_modules():
        text = path.read_text()
        lines = text.splitlines()
        for match in pattern.finditer(text):
            number = text.count("\n", 0, match.start()) + 1
            # The rare deliberate exception (a capability URL, a provider's global id) says so in
            # code: `with unscoped(reason=...)` just above, which the scoped manager also obeys.
            if not any("unscoped(reason=" in line for line in lines[max(0, number - 4) : number]):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {lines[number - 1].strip()}")
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


def _domain_errors():
    from classpoint.errors import DomainError

    found, pending = {}, [DomainError]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        found[cls.__name__] = cls
    return found


def test_every_domain_error_carries_a_code_from_its_apps_enum():
    """An integrator switches on `error.code`: each one raised is a member of its app's enum
    (classpoint/errors.py), written at the raise as `code=FeesErrorCode.INVOICE_NOT_PAYABLE`."""
    import ast

    errors = _domain_errors()
    missing = [name for name, cls in errors.items() if name != "DomainError" and cls.codes is None]
    assert not missing, f"domain errors without a codes enum: {missing}"
    offenders = []
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "tests" in path.parts or "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text())):
                if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in errors):
                    continue
                if node.func.id == "DomainError" or not node.args:
                    continue
                code = next((k.value for k in node.keywords if k.arg == "code"), None)
                enum_name = errors[node.func.id].codes.__name__
                if not (isinstance(code, ast.Attribute) and isinstance(code.value, ast.Name)):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.func.id} without code=")
                elif code.value.id != enum_name or code.attr not in errors[node.func.id].codes.__members__:
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}: code={code.value.id}.{code.attr}")
    assert not offenders, f"{len(offenders)} domain errors without their app's code:\n" + "\n".join(offenders)


def test_request_code_reads_other_apps_through_their_selectors():
    # A view, API module, selector or template tag of one app that wants another app's rows asks that
    # app's selectors (or services, to write): its models are its own business, so a renamed field or
    # a new rule about which rows count changes one module, not every screen that shows them. The
    # kernel's own models (the audit log, the outbox) are everyone's, like Django's.
    own_models = re.compile(r"^\s*(?:from\s+(\w+)(?:\.\w+)*\.models\s+import|from\s+(\w+)\s+import\s+[^\n]*\bmodels\b)")
    offenders = []
    for path in request_modules():
        app = path.relative_to(ROOT).parts[0]
        for number, line in enumerate(path.read_text().splitlines(), 1):
            match = own_models.match(line)
            other = match and (match.group(1) or match.group(2))
            if other in APPS and other not in (app, "classpoint"):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "request code importing another app's models:\n" + "\n".join(offenders)


MAX_MODULE_LINES = 450


def test_no_module_outgrows_the_house_limit():
    # Past ~400 lines a module becomes a package of smaller ones (fees/models/, schools/models/);
    # 450 leaves room to finish a change first. Django's convention keeps the settings in one file.
    exempt = {ROOT / "classpoint" / "settings.py"}
    too_long = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "tests" in path.parts or "migrations" in path.parts or path in exempt:
                continue
            lines = len(path.read_text().splitlines())
            if lines > MAX_MODULE_LINES:
                too_long.append(f"{path.relative_to(ROOT)}: {lines} lines")
    assert not too_long, f"modules over {MAX_MODULE_LINES} lines (split into a package):\n" + "\n".join(too_long)
