"""Shared fixtures: the repository, the CLI binary, and the Docker engine.

The tests run against the *installed* wheel (``import banatie_infra`` from the virtual
environment), never against the source tree. They compare the module with the CLI
binary built from the same workspace (``target/debug/banatie-infra`` by default; set
``BANATIE_INFRA_CLI`` to use another). Tests that need the Docker engine fail, loudly,
when it is missing: they are never skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

import banatie_infra

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p for p in (REPO / "examples").iterdir() if p.suffix in {".yaml", ".toml", ".json"})
BAD_INPUTS = sorted((REPO / "banatie-infra-core" / "tests" / "fixtures" / "bad-inputs").glob("*.*"))
POSTGRES_IMAGE = "banatie-test/postgres:15"
HTTP_IMAGE = "banatie-test/http:1"


@pytest.fixture(scope="session")
def cli() -> Path:
    """The ``banatie-infra`` binary of this workspace."""
    path = Path(os.environ.get("BANATIE_INFRA_CLI", REPO / "target" / "debug" / "banatie-infra"))
    assert path.is_file(), f"{path} is missing: build it with `cargo build -p banatie-infra-cli`"
    return path


def run_cli(cli: Path, *args: str | os.PathLike[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Runs the CLI without colours; never raises on a non-zero exit."""
    env = dict(os.environ, NO_COLOR="1")
    return subprocess.run(
        [str(cli), *map(str, args)], capture_output=True, text=True, cwd=cwd, env=env, timeout=120
    )


def cli_json(diags: list[banatie_infra.Diagnostic]) -> list[dict[str, object]]:
    """Diagnostics in the shape of ``banatie-infra validate --format json``."""
    out = []
    for d in diags:
        item: dict[str, object] = {
            "code": d.code,
            "severity": d.severity,
            "pointer": d.path,
            "message": d.message,
        }
        for key in ("help", "file", "line", "column"):
            value = getattr(d, key)
            if value is not None:
                item[key] = value
        out.append(item)
    return out


def files_under(root: Path) -> dict[str, Path]:
    """Every regular file under ``root`` by its ``/``-separated relative path, but the
    root's lock file (``.banatie-infra.lock``, which ``render`` holds while it writes and
    which is not part of the bundle)."""
    return {
        p.relative_to(root).as_posix(): p
        for p in root.rglob("*")
        if p.is_file() and p.relative_to(root).as_posix() != ".banatie-infra.lock"
    }


# --- Docker ---------------------------------------------------------------------------


def docker(*args: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Runs the `docker` CLI; raises with its output when ``check`` and it fails."""
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"docker {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


@pytest.fixture(scope="session")
def docker_engine() -> None:
    """Fails (never skips) when the engine or the test image is missing."""
    assert shutil.which("docker"), "the `docker` CLI is not installed: these tests need the Docker engine"
    info = docker("info", "--format", "{{json .ServerVersion}}", check=False, timeout=60)
    assert info.returncode == 0, f"the Docker engine is not reachable: {info.stderr.strip()}"
    for image, recipe in ((POSTGRES_IMAGE, "postgres"), (HTTP_IMAGE, "http")):
        found = docker("image", "inspect", image, check=False, timeout=60)
        assert found.returncode == 0, f"the image {image} is missing: run `testimages/build.sh {recipe}`"
    compose = docker("compose", "version", check=False, timeout=60)
    assert compose.returncode == 0, "Docker Compose v2 (`docker compose`) is missing"


def postgres_spec_text(name: str, root: Path) -> str:
    """A tiny stack: one PostgreSQL 15 service from the local test image."""
    return f"""\
stack:
  name: {name}
  root: {root}
  userns_remap: {{ enabled: false }}
networks:
  {name}-internal: {{ internal: true }}
services:
  {name}-db:
    kind: postgres
    image: {POSTGRES_IMAGE}
    uid: 999
    database: app_db
    user: app_user
    networks: [{name}-internal]
    health: {{ interval: 1s, timeout: 1s, retries: 30 }}
secrets:
  POSTGRES_PASSWORD: {{ length: 32 }}
backups: {{ keep: 3 }}
"""


def http_spec_text(name: str, root: Path, *, fail_health: bool) -> str:
    """A tiny stack: one app from the local BusyBox httpd image (``FAIL_HEALTH=1``: its
    ``/health`` answers 404, so it never becomes healthy)."""
    return f"""\
stack:
  name: {name}
  root: {root}
  userns_remap: {{ enabled: false }}
networks:
  {name}-internal: {{ internal: true }}
services:
  {name}-web:
    kind: app
    image: {HTTP_IMAGE}
    base_image: busybox:1.36
    uid: 1001
    port: 3000
    health_path: /health
    probe: wget
    environment: {{ FAIL_HEALTH: "{1 if fail_health else 0}" }}
    networks: [{name}-internal]
    health: {{ interval: 1s, timeout: 1s, retries: 1, start_period: 1s }}
"""


def unique_name() -> str:
    return f"pyt-{uuid.uuid4().hex[:10]}"


@dataclass
class Stack:
    """A running stack of the tiny spec, brought up by `docker compose`."""

    name: str
    dir: Path
    spec_path: Path
    spec: banatie_infra.Spec


@pytest.fixture(scope="module")
def postgres_stack(docker_engine: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """Renders the tiny spec to a temporary directory with ``render_to``, generates its
    secrets, runs ``docker compose up -d``, and always runs ``docker compose down -v``."""
    name = unique_name()
    root = tmp_path_factory.mktemp(name)
    spec_path = root / "stack.yaml"
    spec_path.write_text(postgres_spec_text(name, root))
    spec = banatie_infra.load(spec_path)
    assert [d for d in spec.validate() if d.severity == "error"] == []
    spec.render_to(root)
    banatie_infra.generate_secrets(spec, root)
    compose = ["compose", "-p", name, "-f", str(root / "docker-compose.yml")]
    try:
        docker(*compose, "up", "-d")
        yield Stack(name=name, dir=root, spec_path=spec_path, spec=spec)
    finally:
        docker(*compose, "down", "-v", "--timeout", "5", check=False)
