"""The functions that change the running stack, from the installed wheel, against the
real engine: ``up`` with progress events, ``plan``, ``deploy`` (start-first), a failing
migration (``UpError``), ``releases`` and ``rollback``, ``rotate_secret`` (the new
PostgreSQL password accepted by the server) and its refusals (``RotateError``), and a
held lock (``LockError``). Never skipped: without the engine they fail."""

from __future__ import annotations

import fcntl
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import banatie_infra
from conftest import HTTP_IMAGE, POSTGRES_IMAGE, docker, unique_name


def ops_spec_text(name: str, root: Path, release: str, migrate: str = "true") -> str:
    """An app on the BusyBox httpd image, its database, and its migration (a shell
    command in the app's image: ``migrate``)."""
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
    environment: {{ RELEASE: "{release}" }}
    networks: [{name}-internal]
    depends_on: {{ {name}-db: healthy, {name}-migrate: completed }}
    health: {{ interval: 1s, timeout: 1s, retries: 2, start_period: 20s }}
    stop_grace_period: 1s
    secrets: [DATABASE_URL]
  {name}-migrate:
    kind: job
    task: {{ migrate: {{ app: {name}-web, argv: [sh, -c, "{migrate}"] }} }}
    networks: [{name}-internal]
    depends_on: {{ {name}-db: healthy }}
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
"""


class Ops:
    def __init__(self, root: Path) -> None:
        self.name = unique_name()
        self.root = root
        self.spec_path = root / "stack.yaml"
        self.spec = self.write("1")

    def write(self, release: str, migrate: str = "true") -> banatie_infra.Spec:
        self.spec_path.write_text(ops_spec_text(self.name, self.root, release, migrate))
        spec = banatie_infra.load(self.spec_path)
        assert [d for d in spec.validate() if d.severity == "error"] == []
        spec.render_to(self.root)
        banatie_infra.generate_secrets(spec, self.root)
        self.spec = spec
        return spec

    def container_id(self, short: str) -> str:
        return docker("inspect", "-f", "{{.Id}}", f"{self.name}-{short}").stdout.strip()


@pytest.fixture(scope="module")
def ops(docker_engine: None, tmp_path_factory: pytest.TempPathFactory) -> Any:
    o = Ops(tmp_path_factory.mktemp("ops"))
    try:
        yield o
    finally:
        ids = docker("ps", "-aq", "--filter", f"label=io.banatie-infra.stack={o.name}", check=False).stdout.split()
        if ids:
            docker("rm", "-f", *ids, check=False)
        docker("network", "rm", f"{o.name}-internal", check=False)


def test_up_reports_events_and_a_second_plan_is_empty(ops: Ops) -> None:
    events: list[Mapping[str, Any]] = []
    r = banatie_infra.up(ops.spec, timeout=120, pull="never", on_event=events.append)
    assert r["noop"] is False and r["release"] is not None
    kinds = [e["event"] for e in events]
    assert "step" in kinds and kinds[-1] == "recorded", kinds
    ready = [e["service"] for e in events if e["event"] == "ready"]
    # The migration ran before the app that waits for it.
    assert ready.index(f"{ops.name}-migrate") < ready.index(f"{ops.name}-web"), ready
    steps = banatie_infra.plan(ops.spec)
    assert {s["action"] for s in steps} == {"keep"}, steps
    assert banatie_infra.up(ops.spec, pull="never")["noop"] is True


def test_deploy_rolls_the_app_and_a_failing_migration_is_an_up_error(ops: Ops) -> None:
    web = ops.container_id("web")
    spec = ops.write("2")
    # The app rolls; its migration, which runs with the app's environment, runs again.
    changes = {s.get("service"): s["action"] for s in banatie_infra.plan(spec, deploy=True) if s["action"] != "keep"}
    assert changes == {f"{ops.name}-web": "rollout", f"{ops.name}-migrate": "recreate"}
    r = banatie_infra.deploy(spec, pull="never", drain=0.2, timeout=120)
    assert {a.get("service"): a["action"] for a in r["actions"] if a["action"] != "keep"} == changes
    assert ops.container_id("web") != web
    web = ops.container_id("web")

    spec = ops.write("3", migrate="echo schema broken >&2; exit 4")
    with pytest.raises(banatie_infra.UpError) as info:
        banatie_infra.deploy(spec, pull="never", drain=0.2, timeout=120)
    assert info.value.service == f"{ops.name}-migrate"
    assert "schema broken" in str(info.value) and "code 4" in str(info.value)
    assert isinstance(info.value, banatie_infra.DockerError)
    assert ops.container_id("web") == web, "the app was not touched"


def test_releases_and_rollback(ops: Ops) -> None:
    spec = ops.write("7")
    banatie_infra.deploy(spec, pull="never", drain=0.2, timeout=120)
    listed = banatie_infra.releases(ops.root)
    assert len(listed) >= 2 and listed[0]["verb"] == "deploy"
    assert "spec" not in listed[0]
    target = listed[1]["id"]
    r = banatie_infra.rollback(spec, release=target, drain=0.2, timeout=120)
    assert r["target"] == target and r["release"] is not None
    newest = banatie_infra.releases(ops.root)[0]
    assert (newest["id"], newest.get("rollback_of")) == (r["release"], target)
    # Rolling back to where the stack already is changes nothing and records nothing.
    again = banatie_infra.rollback(spec, release=target, drain=0.2, timeout=120)
    assert again["release"] is None
    assert {a["action"] for a in again["actions"]} == {"keep"}
    assert banatie_infra.releases(ops.root)[0]["id"] == r["release"]
    with pytest.raises(banatie_infra.FileError, match="no release `nope`"):
        banatie_infra.rollback(spec, release="nope")


def test_rotate_secret_sets_the_password_and_refuses_what_it_cannot(ops: Ops) -> None:
    spec = ops.write("2")
    banatie_infra.deploy(spec, pull="never", drain=0.2, timeout=120)
    old = banatie_infra.read_secret(ops.root, "POSTGRES_PASSWORD")
    db = ops.container_id("db")
    r = banatie_infra.rotate_secret(spec, "POSTGRES_PASSWORD", drain=0.2, timeout=120)
    new = banatie_infra.read_secret(ops.root, "POSTGRES_PASSWORD")
    assert new is not None and new != old
    assert r["rotation"] == {"kind": "database_password", "service": f"{ops.name}-db", "role": "app_user"}
    assert r["derived"] == ["DATABASE_URL"]
    assert f"{ops.name}-web" in r["redeployed"]
    assert ops.container_id("db") == db, "the database kept running"
    url = f"postgresql://app_user:{new}@{ops.name}-db:5432/app_db"
    ok = docker("run", "--rm", "--network", f"{ops.name}-internal", POSTGRES_IMAGE, "psql", url, "-Atc", "select 1")
    assert ok.stdout.strip() == "1"

    with pytest.raises(banatie_infra.RotateError, match="derived from the password") as info:
        banatie_infra.rotate_secret(spec, "DATABASE_URL")
    assert (info.value.step, info.value.restored) == (None, None)
    with pytest.raises(banatie_infra.RotateError, match="POSTGRES_PASSWORD"):
        banatie_infra.rotate_secret(spec, "POSTGRES_PASSWRD")


def test_the_sample_update_script_runs(ops: Ops) -> None:
    """The mypy-checked sample's `update` (deploy, releases, rotation, up) for real."""
    import sample_usage

    seen = sample_usage.update(ops.write("5"), str(ops.root))
    assert "switched" in seen and "recorded" in seen, seen


def test_a_held_lock_is_a_lock_error(ops: Ops) -> None:
    with open(ops.root / ".banatie-infra.lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        with pytest.raises(banatie_infra.LockError, match="BI705"):
            banatie_infra.up(ops.spec, pull="never", lock_wait=0)
        with pytest.raises(ValueError, match="lock_wait"):
            banatie_infra.up(ops.spec, lock_wait=-1)
        with pytest.raises(ValueError, match="pull"):
            banatie_infra.deploy(ops.spec, pull="sometimes")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="more than 0"):
            banatie_infra.deploy(ops.spec, timeout=0)
        with pytest.raises(TypeError, match="on_event must be callable"):
            banatie_infra.up(ops.spec, on_event=42)  # type: ignore[arg-type]


def test_a_callback_that_raises_is_raised_after_the_operation(ops: Ops) -> None:
    def broken(e: Mapping[str, Any]) -> None:
        raise RuntimeError("the callback's own bug")

    spec = ops.write("6")
    with pytest.raises(RuntimeError, match="own bug") as info:
        banatie_infra.deploy(spec, pull="never", drain=0.2, timeout=120, on_event=broken)
    # The deploy ran to its end all the same.
    assert banatie_infra.plan(spec, deploy=True) == [s for s in banatie_infra.plan(spec) if s["action"] == "keep"]
    notes = getattr(info.value, "__notes__", [])
    assert any("completed" in n for n in notes), notes
