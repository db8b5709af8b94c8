"""The Docker functions against the real engine: a PostgreSQL 15 stack brought up with
`docker compose` from the bundle that ``render_to`` wrote. These tests fail when the
engine or the test image is missing; they are never skipped."""

from __future__ import annotations

import hashlib
import os
import signal
import threading
import time
from pathlib import Path

import pytest

import banatie_infra
from conftest import Stack, docker, http_spec_text, postgres_spec_text, unique_name


@pytest.fixture(scope="module")
def ready(postgres_stack: Stack) -> Stack:
    """The stack, once `wait` says it is ready."""
    banatie_infra.wait(postgres_stack.spec, timeout=120)
    return postgres_stack


def test_status_lists_the_container(postgres_stack: Stack) -> None:
    (st,) = banatie_infra.status(postgres_stack.spec)
    assert st["service"] == f"{postgres_stack.name}-db"
    assert st["kind"] == "postgres"
    assert st["verdict"] in {"ok", "starting"}
    container = st["container"]
    assert container is not None
    assert container["name"] == f"{postgres_stack.name}-db"
    assert container["image"] == "banatie-test/postgres:15"
    assert container["state"] == "running"
    assert container["networks"] == [f"{postgres_stack.name}-internal"]
    assert len(container["id"]) == 64


def test_wait_returns_when_healthy(postgres_stack: Stack) -> None:
    start = time.monotonic()
    statuses = banatie_infra.wait(postgres_stack.spec, services=[f"{postgres_stack.name}-db"], timeout=120)
    assert time.monotonic() - start < 120
    (st,) = statuses
    assert st["verdict"] == "ok"
    assert st["container"] is not None and st["container"]["health"] == "healthy"
    assert "accepting connections" in (st["container"]["last_health_output"] or "")
    assert banatie_infra.status(postgres_stack.spec)[0]["verdict"] == "ok"


def test_wait_for_an_unknown_service_is_a_docker_error(ready: Stack) -> None:
    with pytest.raises(banatie_infra.DockerError, match="no service `nope`") as info:
        banatie_infra.wait(ready.spec, services=["nope"], timeout=1)
    assert not isinstance(info.value, banatie_infra.WaitError)


def test_drift_of_the_running_stack_is_clean(ready: Stack) -> None:
    assert [d for d in banatie_infra.drift(ready.spec) if d.severity == "error"] == []


def test_drift_reports_a_changed_image_at_its_line(ready: Stack) -> None:
    text = ready.spec_path.read_text().replace("banatie-test/postgres:15", "banatie-test/postgres:16")
    changed = banatie_infra.loads(text, name="changed.yaml")
    found = [d for d in banatie_infra.drift(changed) if d.severity == "error"]
    assert [d.code for d in found] == ["BI605"], found
    (d,) = found
    assert d.path == f"/services/{ready.name}-db/image"
    assert (d.file, d.line) == ("changed.yaml", text.splitlines().index("    image: banatie-test/postgres:16") + 1)


def test_backup_db_writes_a_verified_dump(ready: Stack, tmp_path: Path) -> None:
    dest = tmp_path / "backups"
    path, sha256 = banatie_infra.backup_db(ready.spec, dest)

    dump = Path(path)
    assert dump.parent == dest and dump.name.startswith("app_db_") and dump.suffix == ".dump"
    data = dump.read_bytes()
    assert data.startswith(b"PGDMP"), data[:16]
    assert hashlib.sha256(data).hexdigest() == sha256
    assert (dest / (dump.name + ".sha256")).read_text().split()[0] == sha256
    assert (dest.stat().st_mode & 0o777) == 0o700
    assert [p.name for p in dest.iterdir() if p.name.startswith(".")] == [], "no temporary file is left"


def test_backup_into_an_unwritable_dir_is_a_backup_error(ready: Stack, tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(banatie_infra.BackupError) as info:
        banatie_infra.backup_db(ready.spec, blocker / "backups")
    assert str(blocker / "backups") in str(info.value)
    assert blocker.read_text() == ""


def test_backup_without_a_database_is_a_backup_error(docker_engine: None, tmp_path: Path) -> None:
    spec = banatie_infra.loads("stack: {name: nodb}\nservices: {}\n")
    with pytest.raises(banatie_infra.BackupError, match="no postgres service"):
        banatie_infra.backup_db(spec, tmp_path)


def test_a_stack_that_is_not_running(docker_engine: None, tmp_path: Path) -> None:
    name = unique_name()
    spec = banatie_infra.loads(postgres_spec_text(name, tmp_path), name="down.yaml")

    (st,) = banatie_infra.status(spec)
    assert (st["verdict"], st["container"]) == ("missing", None)

    found = {d.code: d for d in banatie_infra.drift(spec) if d.severity == "error"}
    assert found["BI601"].path == f"/services/{name}-db", "the container is missing"
    assert found["BI602"].path == f"/networks/{name}-internal", "so is its network"
    assert (found["BI601"].file, found["BI601"].line) == ("down.yaml", 8)

    with pytest.raises(banatie_infra.WaitError) as info:
        banatie_infra.wait(spec, timeout=0.5)
    e = info.value
    assert isinstance(e, banatie_infra.DockerError)
    assert (e.service, e.timed_out, e.output) == (f"{name}-db", True, None)
    assert "timed out" in str(e)

    with pytest.raises(banatie_infra.DockerError, match="has no container"):
        banatie_infra.backup_db(spec, tmp_path / "backups")
    assert not (tmp_path / "backups").exists()


def test_wait_for_an_unhealthy_service_is_a_wait_error(docker_engine: None, tmp_path: Path) -> None:
    """A health check that fails is reported at once, with its output, not as a timeout."""
    name = unique_name()
    spec = banatie_infra.loads(http_spec_text(name, tmp_path, fail_health=True))
    spec.render_to(tmp_path)
    banatie_infra.generate_secrets(spec, tmp_path)
    compose = ["compose", "-p", name, "-f", str(tmp_path / "docker-compose.yml")]
    try:
        docker(*compose, "up", "-d")
        start = time.monotonic()
        with pytest.raises(banatie_infra.WaitError) as info:
            banatie_infra.wait(spec, timeout=90)
        assert time.monotonic() - start < 60
        e = info.value
        assert (e.service, e.timed_out) == (f"{name}-web", False)
        assert "unhealthy" in str(e)
        assert e.output is not None and "404" in e.output
        (st,) = banatie_infra.status(spec)
        assert st["verdict"] == "unhealthy"
    finally:
        docker(*compose, "down", "-v", "--timeout", "5", check=False)


def test_docker_calls_release_the_gil(docker_engine: None, tmp_path: Path) -> None:
    """While `wait` blocks in Rust for a second, Python code keeps running."""
    spec = banatie_infra.loads(postgres_spec_text(unique_name(), tmp_path))
    errors: list[BaseException] = []

    def waiter() -> None:
        try:
            banatie_infra.wait(spec, timeout=1.0)
        except BaseException as e:  # noqa: BLE001 - handed to the main thread
            errors.append(e)

    thread = threading.Thread(target=waiter)
    ticks = 0
    thread.start()
    while thread.is_alive():
        ticks += 1
        time.sleep(0.001)
    thread.join()
    assert len(errors) == 1 and isinstance(errors[0], banatie_infra.WaitError)
    assert ticks > 100, f"the main thread ran only {ticks} times while `wait` blocked"


def runtime_threads() -> int:
    """OS threads of this process named by the module's tokio runtime."""
    return sum(1 for t in Path("/proc/self/task").iterdir() if (t / "comm").read_text().strip() == "banatie-infra")


def test_one_runtime_for_the_whole_process(docker_engine: None, tmp_path: Path) -> None:
    spec = banatie_infra.loads(postgres_spec_text(unique_name(), tmp_path))
    banatie_infra.status(spec)
    first = runtime_threads()
    assert first >= 2, "the runtime (two workers) outlives the call"
    for _ in range(10):
        banatie_infra.status(spec)
        banatie_infra.drift(spec)
    assert runtime_threads() <= first + 1, "no runtime per call"


def test_ctrl_c_interrupts_a_blocking_call(docker_engine: None, tmp_path: Path) -> None:
    """SIGINT during `wait` raises KeyboardInterrupt within ~100 ms, not at the timeout."""
    spec = banatie_infra.loads(postgres_spec_text(unique_name(), tmp_path))
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    start = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            banatie_infra.wait(spec, timeout=60)
    finally:
        timer.cancel()
    assert time.monotonic() - start < 5


def test_sample_usage_runs_against_the_stack(ready: Stack, tmp_path: Path) -> None:
    """The mypy-checked sample uses every function; here it runs for real."""
    import sample_usage

    summary = sample_usage.main(str(ready.spec_path), str(tmp_path / "deploy"), str(tmp_path / "backups"))
    assert summary["errors"] == 0
    assert summary["statuses"] == {f"{ready.name}-db": "ok"}
    assert summary["drift"] == 0
    assert Path(summary["backup"]).read_bytes().startswith(b"PGDMP")
