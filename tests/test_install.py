"""A wheel installed outside the checkout, the way the Docker image installs it.

``scripts/image install`` builds a wheel of this checkout and installs it into a fresh
virtualenv in a temporary directory (pip uses the package index and its wheel cache); the
commands then run from a directory that is not a checkout, so nothing can be found beside the
source tree. ``scripts/image check`` is the image's runtime step, run here as a non-root uid.
No container engine is involved: docs/operations.md says what this does and does not verify.

Set INGEST_SKIP_INSTALL_TEST=1 to skip this module (for a machine without the package index).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "image"
RUNTIME_UID = 10001  # the image's `ingest` user (Dockerfile)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.timeout(900),
    pytest.mark.skipif(
        bool(os.environ.get("INGEST_SKIP_INSTALL_TEST")), reason="INGEST_SKIP_INSTALL_TEST is set"
    ),
]


@dataclass(frozen=True)
class Installed:
    base: Path
    prefix: Path
    etc: Path
    python: str

    @property
    def ingest(self) -> str:
        return str(self.prefix / "bin" / "ingest")

    def env(self, **extra: str) -> dict[str, str]:
        """A clean environment: nothing of the test run's venv, checkout or config leaks in."""
        env = {
            "PATH": f"{self.prefix / 'bin'}:/usr/bin:/bin",
            "HOME": str(self.base / "home"),
            "TMPDIR": str(self.base / "home"),
            "LANG": "C.UTF-8",
        }
        env.update(extra)
        return env


def _as_runtime_user() -> list[str]:
    """The prefix that runs a command as the image's non-root uid (nothing when not root)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot run the check as a non-root uid")
    return [setpriv, f"--reuid={RUNTIME_UID}", f"--regid={RUNTIME_UID}", "--clear-groups"]


def _python_for_runtime_user() -> str:
    """An interpreter the non-root uid can run (a Python under /root is out of its reach)."""
    candidates = [os.environ.get("INGEST_TEST_PYTHON"), sys.base_prefix + "/bin/python3"]
    candidates += [shutil.which("python3.11"), "/usr/bin/python3"]
    for candidate in filter(None, candidates):
        # Through bash, as the scripts run it: exec'ing the binary directly can succeed where
        # a path through a private directory (/root/.pyenv) is refused to the shell.
        check = "import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))"
        probe = [
            "bash",
            "-c",
            f"{shlex.quote(os.path.realpath(candidate))} -c {shlex.quote(check)}",
        ]
        try:
            ok = subprocess.run([*_as_runtime_user(), *probe], capture_output=True, timeout=60)
        except OSError:
            continue
        if ok.returncode == 0:
            return candidate
    pytest.skip(f"no Python >= 3.11 with venv that uid {RUNTIME_UID} can run: {candidates}")


@pytest.fixture(scope="module")
def installed() -> Iterator[Installed]:
    # Not under pytest's tmp_path: its base directory is private to the user running the tests,
    # and the runtime uid must be able to reach the virtualenv and the config.
    base = Path(tempfile.mkdtemp(prefix="ingest-install-"))
    try:
        base.chmod(0o755)
        home = base / "home"
        home.mkdir()
        if os.geteuid() == 0:
            os.chown(home, RUNTIME_UID, RUNTIME_UID)
        python = _python_for_runtime_user()
        done = subprocess.run(
            ["bash", str(SCRIPT), "install", str(base / "opt"), str(base / "etc")],
            capture_output=True, text=True, timeout=840, cwd=base,
            env={**os.environ, "PYTHON": python},
        )  # fmt: skip
        assert done.returncode == 0, f"scripts/image install failed:\n{done.stdout}\n{done.stderr}"
        assert f"{base / 'etc' / 'ingest.toml'}: OK" in done.stdout
        yield Installed(base=base, prefix=base / "opt", etc=base / "etc", python=python)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _run(inst: Installed, *args: str, cwd: Path, stdin: str | None = None, **env: str) -> Any:
    return subprocess.run(
        [inst.ingest, *args], input=stdin, capture_output=True, text=True, timeout=300, cwd=cwd,
        env=inst.env(**env),
    )  # fmt: skip


@pytest.fixture
def outside(installed: Installed) -> Path:
    """A fresh working directory with no config/ and no catalogue in it."""
    return Path(tempfile.mkdtemp(dir=installed.base / "home"))


def test_the_wheel_ships_the_catalogue_as_package_data(installed: Installed) -> None:
    """The installed package is the wheel's copy, with metrics.toml and fx.toml inside it."""
    code = (
        "import importlib.resources as r, ingest; print(ingest.__file__); "
        "d = r.files('ingest') / 'data'; print((d / 'metrics.toml').is_file(), "
        "(d / 'fx.toml').is_file())"
    )
    done = subprocess.run(
        [str(installed.prefix / "bin" / "python"), "-c", code], capture_output=True, text=True,
        cwd=installed.base, env=installed.env(), timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    where, found = done.stdout.splitlines()
    assert where.startswith(str(installed.prefix)), where
    assert not where.startswith(str(ROOT))
    assert found == "True True"


def test_demo_runs_from_an_installed_wheel(installed: Installed, outside: Path) -> None:
    """`ingest demo` works with nothing but the installed package: the alerts arrive signed."""
    done = _run(installed, "demo", cwd=outside)
    assert done.returncode == 0, done.stderr
    assert "received figure.new" in done.stdout
    assert "received figure.changed" in done.stdout
    assert "signature verified: NO" not in done.stdout


def test_check_config_of_a_file_away_from_the_catalogue(
    installed: Installed, outside: Path
) -> None:
    """A config with no metrics.toml / fx.toml beside it passes check-config: the bundled
    catalogue is package data, not a file expected next to the config."""
    mine = outside / "mine.toml"
    mine.write_text((ROOT / "config" / "ingest.toml").read_text("utf-8"), encoding="utf-8")
    done = _run(installed, "check-config", "--config", str(mine), cwd=outside)
    assert done.returncode == 0, done.stderr
    assert f"{mine}: OK" in done.stdout
    assert not (outside / "data").exists(), "check-config must not create the database"


def test_no_config_anywhere_is_a_clear_error(installed: Installed, outside: Path) -> None:
    """Without --config, $INGEST_CONFIG or ./config/ingest.toml, the message says what to do."""
    done = _run(installed, "check-config", cwd=outside)
    assert done.returncode == 2
    assert "no configuration file" in done.stderr
    assert "--config" in done.stderr
    assert "Traceback" not in done.stderr


def test_extract_figures_from_an_installed_wheel(installed: Installed, outside: Path) -> None:
    """`ingest extract-figures` reads stdin with the bundled catalogue and FX table."""
    text = "Alibaba will invest 380 billion yuan (~$53 billion) in AI infrastructure.\n"
    done = _run(installed, "extract-figures", cwd=outside, stdin=text)
    assert done.returncode == 0, done.stderr
    assert '"metric": "ai_investment_commitment"' in done.stdout
    assert '"value_usd": 5' in done.stdout  # converted with the bundled fx.toml


def test_the_cluster_extra_is_installed_at_the_pinned_versions(
    installed: Installed, outside: Path
) -> None:
    """The image's virtualenv has the cluster extra: `ingest worker --help` works, and
    procrastinate and psycopg import at the versions constraints.txt pins."""
    done = _run(installed, "worker", "--help", cwd=outside)
    assert done.returncode == 0, done.stderr
    assert "--database-url" in done.stdout and "docs/cluster.md" in done.stdout
    probe = (
        "import importlib.metadata as m, procrastinate, psycopg, psycopg_pool; "
        "print(*(f'{n}=={m.version(n)}' for n in ('procrastinate', 'psycopg', 'psycopg-pool')))"
    )
    done = subprocess.run(
        [str(installed.prefix / "bin" / "python"), "-c", probe], capture_output=True, text=True,
        cwd=outside, env=installed.env(), timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    pins = (ROOT / "constraints.txt").read_text(encoding="utf-8").split()
    for installed_version in done.stdout.split():
        assert installed_version in pins, (installed_version, "not the constraints.txt pin")
    assert len(done.stdout.split()) == 3


def test_the_image_check_runs_as_a_non_root_user(installed: Installed) -> None:
    """`scripts/image check` (the Dockerfile's runtime step) passes as uid 10001 with the
    image's environment: check-config, worker --help, extract-figures and the demo."""
    env = installed.env(
        INGEST_CONFIG=str(installed.etc / "ingest.toml"),
        INGEST_DB=str(installed.base / "home" / "ingest.db"),
    )
    done = subprocess.run(
        [*_as_runtime_user(), "bash", str(SCRIPT), "check"], capture_output=True, text=True,
        env=env, cwd=installed.base, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}"
    assert "== image check passed" in done.stdout
    assert "== ingest worker --help (the cluster extra)" in done.stdout
    assert f"{installed.etc / 'ingest.toml'}: OK" in done.stdout


def test_the_image_check_refuses_root() -> None:
    """The runtime check fails when run as root: the image must not run its daemon as root."""
    if os.geteuid() != 0:
        pytest.skip("not running as root")
    done = subprocess.run(
        ["bash", str(SCRIPT), "check"], capture_output=True, text=True, timeout=60,
        env={"PATH": "/usr/bin:/bin", "INGEST_CONFIG": "/nonexistent.toml"},
    )  # fmt: skip
    assert done.returncode == 1
    assert "non-root user" in done.stderr


def test_building_the_wheel_warns_of_nothing(tmp_path: Path) -> None:
    """setuptools builds the wheel without a deprecation warning (`project.license` as a
    table was one, printed twice on every install)."""
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
         "--wheel-dir", str(tmp_path), str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    output = done.stdout + done.stderr
    assert "deprecated" not in output.lower(), output
    assert "BuildBackendWarning" not in output
    assert list(tmp_path.glob("ingest-*.whl"))
