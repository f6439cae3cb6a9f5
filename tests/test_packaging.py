"""`csm demo` and the stores work from an installed wheel, not only from the repository: the demo
site and the SQL migrations are package data. Builds the wheel, installs it (not editable) into
a temporary folder and runs the installed `csm` from there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    wheels = tmp_path_factory.mktemp("wheel")
    target = tmp_path_factory.mktemp("installed")
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(REPO)],
                           capture_output=True, text=True, timeout=600)
    if build.returncode != 0:
        pytest.fail(f"building the wheel failed: {build.stderr[-2000:]}")
    wheel = next(wheels.glob("crowd_safety_manager-*.whl"))
    install = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target),
                              str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    return target


def run_installed(target: Path, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Python with the installed package first on the path (dependencies from this venv)."""
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=cwd,
                          env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin", "CSM_SECRET_KEY": "x" * 40})


def test_the_installed_package_ships_the_demo_site_and_validates_it(installed: Path, tmp_path: Path) -> None:
    code = (
        "import csm, sys\n"
        "from csm.cli.serve_cmd import demo_site_folder\n"
        f"assert csm.__file__.startswith({str(installed)!r}), csm.__file__\n"
        "folder = demo_site_folder()\n"
        f"assert str(folder).startswith({str(installed)!r}), folder\n"
        "print(folder)\n"
        "from csm.cli import app\n"
        "sys.argv = ['csm', 'site', 'validate', str(folder)]\n"
        "app()\n"
    )
    result = run_installed(installed, code, tmp_path)  # not the repository: nothing relative to it
    assert result.returncode == 0, result.stdout + result.stderr
    assert (Path(result.stdout.splitlines()[0]) / "site.yaml").is_file()
    assert "scheveningen" in result.stdout


def test_the_installed_package_ships_its_migrations(installed: Path, tmp_path: Path) -> None:
    code = (
        "from csm.store.factory import open_store\n"
        "from csm.store.migrations import migrations_of\n"
        "assert len(migrations_of('duckdb')) >= 2 and len(migrations_of('pg')) >= 3\n"
        f"store = open_store('duckdb:{tmp_path / 'x.duckdb'}')\n"
        "print(store.count_observations())\n"
        "store.close()\n"
    )
    result = run_installed(installed, code, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "0"
