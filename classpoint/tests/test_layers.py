"""The layers contract (pyproject.toml, docs/architecture.md) holds for the tree, and it has teeth:
an import that goes up a layer, across between siblings, or out of the kernel breaks it, including
an import written inside a function. Each case runs the real `lint-imports` over a copy of the
source with one module added, so the working tree is never touched."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(settings.BASE_DIR)
APPS = ["classpoint", "schools", "academics", "fees", "payments", "messaging", "registrar"]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _copy_tree(dest):
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "static", "templates")
    for app in APPS:
        shutil.copytree(REPO / app, dest / app, ignore=ignore)
    shutil.copy(REPO / "pyproject.toml", dest / "pyproject.toml")


def _lint(root):
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_tree_keeps_the_layers(tmp_path):
    _copy_tree(tmp_path)
    result = _lint(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


@pytest.mark.parametrize(
    "module, source, broken",
    [
        # Upwards: fees sits below payments.
        ("fees/_probe.py", "import payments.models\n", "fees is not allowed to import payments"),
        # Written inside a function still counts.
        (
            "schools/_probe.py",
            "def later():\n    from registrar import models\n\n    return models\n",
            "schools is not allowed to import registrar",
        ),
        # Siblings on one layer are independent.
        ("payments/_probe.py", "from messaging import models\n", "payments is not allowed to import messaging"),
        # The kernel imports no app.
        ("classpoint/_probe.py", "import schools.models\n", "classpoint is not allowed to import schools"),
    ],
)
def test_a_forbidden_import_breaks_the_contract(tmp_path, module, source, broken):
    _copy_tree(tmp_path)
    (tmp_path / module).write_text(source)
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
    assert broken in result.stdout, result.stdout


# The same layers, bottom up, for the check on relations below (pyproject.toml is the source).
LAYER_OF = {"classpoint": 0, "schools": 1, "fees": 2, "academics": 2, "payments": 3, "messaging": 3, "registrar": 4}


def _models_named_by_setting():
    # The composition root may point a lower model at a higher one by a setting, the way Django's
    # AUTH_USER_MODEL works (CLASSPOINT_SEAT_APPLICANT_MODEL): the lower app never spells the name.
    from django.apps import apps

    names = [
        getattr(settings, name) for name in dir(settings) if name.startswith("CLASSPOINT_") and name.endswith("_MODEL")
    ]
    return {apps.get_model(name) for name in names}


def test_no_model_points_up_a_layer_or_across_to_a_sibling():
    # Imports are not the only dependency: a ForeignKey("registrar.Application") in a lower app ties
    # its migrations and its deletes to the app above just the same.
    from django.apps import apps

    allowed = _models_named_by_setting()
    wrong = []
    for model in apps.get_models():
        source = model._meta.app_label
        if source not in LAYER_OF:
            continue
        for field in model._meta.get_fields():
            if not field.is_relation or field.auto_created or field.related_model is None:
                continue
            target = field.related_model._meta.app_label
            if target == source or target not in LAYER_OF or field.related_model in allowed:
                continue
            if LAYER_OF[target] >= LAYER_OF[source]:
                wrong.append(f"{model._meta.label}.{field.name} -> {field.related_model._meta.label}")
    assert not wrong, "relations that point up or across:\n" + "\n".join(wrong)


def test_the_check_on_relations_sees_a_model_pointing_up(settings):
    from django.apps import apps

    settings.CLASSPOINT_SEAT_APPLICANT_MODEL = "schools.School"  # the seat's applicant no longer allowed
    SlotSeat = apps.get_model("academics.SlotSeat")
    assert SlotSeat._meta.get_field("application").related_model._meta.label == "registrar.Application"
    with pytest.raises(AssertionError, match="academics.SlotSeat.application -> registrar.Application"):
        test_no_model_points_up_a_layer_or_across_to_a_sibling()
