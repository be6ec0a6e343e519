"""The package installs as the README says (pip install ./clients/python) and is typed."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def test_pip_installs_the_package_with_its_type_information(tmp_path: Path) -> None:
    # No build isolation: this machine reaches no package index; pip on a developer's machine does.
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(tmp_path), str(PROJECT)], check=True, cwd=tmp_path)
    installed = tmp_path / "seller_state"
    assert (installed / "py.typed").exists()
    assert sorted(path.name for path in tmp_path.glob("seller_state-*.dist-info")) == ["seller_state-0.1.0.dist-info"]
    metadata = (tmp_path / "seller_state-0.1.0.dist-info" / "METADATA").read_text()
    # Spelled "httpx>=0.23" or "httpx (>=0.23)" by setuptools versions.
    assert re.search(r"^Requires-Dist: httpx ?\(?>=0\.23\)?$", metadata, re.M)
    assert re.search(r"^Requires-Dist: redis .*extra == .migrate.", metadata, re.M)

    check = subprocess.run([sys.executable, "-c", "import seller_state, sys; print(seller_state.__file__, seller_state.__version__)"],
                           env={"PYTHONPATH": str(tmp_path)}, capture_output=True, text=True, check=True, cwd=tmp_path)
    assert check.stdout.split() == [str(installed / "__init__.py"), "0.1.0"]
    usage = subprocess.run([sys.executable, "-m", "seller_state.migrate_prototype", "--help"],
                           env={"PYTHONPATH": str(tmp_path)}, capture_output=True, text=True, check=True, cwd=tmp_path)
    assert "--redis-url" in usage.stdout and "--dry-run" in usage.stdout
