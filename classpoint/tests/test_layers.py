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
