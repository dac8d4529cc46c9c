"""Guard rails of the home: a mistyped EDUSTAT_HOME or one that cannot be written is one clear
line and exit 2, never a new empty tree published as if it were data."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

EDUSTAT = [sys.executable, "-m", "pipelines.cli.main"]


def edustat(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EDUSTAT_HOME": str(home)}
    env.pop("DAGSTER_HOME", None)
    return subprocess.run(
        [*EDUSTAT, *args], capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_a_mistyped_home_is_refused_and_left_uncreated(tmp_path: Path) -> None:
    home = tmp_path / "vra"  # meant: var
    for command in (["run"], ["status"]):
        out = edustat(home, *command)
        assert out.returncode == 2, out.stderr
        lines = out.stderr.strip().splitlines()
        assert len(lines) == 1 and str(home) in lines[0] and "--init" in lines[0], out.stderr
        assert "Traceback" not in out.stderr
    assert not home.exists()


def test_an_empty_folder_is_not_a_home_either(tmp_path: Path) -> None:
    home = tmp_path / "empty"
    (home / "landing").mkdir(parents=True)
    out = edustat(home, "run", "--quiet")
    assert out.returncode == 2 and "not an edustat home" in out.stderr
    assert not (home / "published").exists()


def test_a_home_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    out = edustat(blocker / "home", "run", "--init")
    assert out.returncode == 2, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot be written" in lines[0], out.stderr
    assert "Traceback" not in out.stderr


def test_demo_data_and_init_make_a_home(tmp_path: Path) -> None:
    from pipelines.cli.home_check import HOME_MARKER, check_home, is_home
    from pipelines.settings import Home

    home = Home(tmp_path / "new")
    assert not is_home(home)
    check_home(home, init=True)
    assert (home.root / HOME_MARKER).is_file() and is_home(home)
    check_home(home)  # from now on an empty landing/ is fine
