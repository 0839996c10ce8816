"""The layering contract of `make lint` (pyproject.toml [tool.importlinter]): it holds on the code as
it is, and it catches an upward import, including one hidden inside a function."""

from __future__ import annotations

import os
import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
LINT_IMPORTS = pathlib.Path(sys.executable).parent / "lint-imports"


def lint_imports(source_root: pathlib.Path) -> subprocess.CompletedProcess:
    """lint-imports with the project's contracts over the package found under `source_root`."""
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run([str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
                          cwd=source_root, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def source_copy(tmp_path: pathlib.Path) -> pathlib.Path:
    shutil.copytree(ROOT / "src" / "dangvien", tmp_path / "dangvien",
                    ignore=shutil.ignore_patterns("__pycache__", "locale", "static", "templates"))
    return tmp_path


def test_the_code_keeps_its_layers(source_copy):
    result = lint_imports(source_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line"), [
    ("core/upward.py", "from dangvien.members.models import Member\n"),  # core reaching up to the registry
    ("jobs/upward.py", "from dangvien.accounts.permissions import scope_for\n"),  # jobs knows no app's permissions
    ("org/upward.py", "def f():\n    from dangvien.imports import services\n"),  # hidden in a function
    ("members/upward.py", "import dangvien.demo.generator\n"),  # the registry reaching a feature app
    ("imports/upward.py", "from dangvien.demo import people\n"),  # two feature apps of one layer
    ("imports/tasks.py", "def f():\n    from dangvien.imports import batches\n"),  # a task importing its service
])
def test_an_upward_import_breaks_the_contract(source_copy, module, line):
    (source_copy / "dangvien" / module).write_text(line)
    result = lint_imports(source_copy)
    assert result.returncode == 1
    importer = "dangvien." + module.removesuffix(".py").replace("/", ".")
    assert f"{importer} -> " in result.stdout, result.stdout
