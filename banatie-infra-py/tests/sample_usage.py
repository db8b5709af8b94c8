"""A sample of the whole `banatie_infra` API, for `mypy --strict` (the stubs must type it
without a single `Any` leaking into a typed name) and run for real: `main` by
test_docker.py against a live stack, `update` by test_ops.py against a stack `up` made.

    python sample_usage.py SPEC DEPLOY_DIR BACKUP_DIR
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from collections.abc import Mapping
from typing import TypedDict

import banatie_infra
from banatie_infra import Diagnostic, Spec


class Summary(TypedDict):
    errors: int
    files: int
    statuses: dict[str, str]
    drift: int
    backup: str


def describe(d: Diagnostic) -> str:
    where = f"{d.file}:{d.line}:{d.column}" if d.file and d.line else d.path
    hint = f" ({d.help})" if d.help is not None else ""
    return f"{where}: {d.severity}[{d.code}] {d.message}{hint}"


def main(spec_path: str, deploy_dir: str, backup_dir: str) -> Summary:
    # Loading: from a file, from text, from plain data.
    spec: Spec = banatie_infra.load(spec_path)
    same = banatie_infra.loads(Path(spec_path).read_text(), format="yaml", name=spec_path)
    assert same == spec
    data = spec.to_dict()
    assert Spec.from_dict(data) == banatie_infra.loads(spec.to_json(), format="json")
    schema = banatie_infra.json_schema()
    assert "services" in schema["properties"]

    # The rules registry: every code, with its explanation.
    every: list[banatie_infra.Rule] = banatie_infra.rules()
    one: banatie_infra.Rule = banatie_infra.rule("bi301")
    assert one in every and one.family == "health" and one.code in str(one)

    # Errors are typed, with structured details.
    try:
        banatie_infra.loads("stack: {nmae: x}\nservices: {}\n")
    except banatie_infra.SpecError as e:
        first: Diagnostic = e.diagnostics[0]
        code: str = e.code
        line: int | None = e.line
        assert (code, line, e.column, first.to_dict()["code"]) == ("BI101", 1, 9, "BI101")
    try:
        banatie_infra.load(Path(deploy_dir) / "missing.yaml")
    except banatie_infra.FileError as e:
        assert e.errno is not None and e.filename is not None

    # Checking and rendering.
    findings: list[Diagnostic] = spec.validate()
    for d in findings:
        print(describe(d), file=sys.stderr)
    errors = sum(1 for d in findings if d.severity == "error")
    files: dict[str, bytes] = spec.render()
    for path, outcome in spec.render_to(deploy_dir):
        assert files[path] == (Path(deploy_dir) / path).read_bytes(), outcome

    # Secrets: names only, a value only by name.
    report = banatie_infra.generate_secrets(spec, deploy_dir)
    generated: list[str] = report["generated"]
    assert not report["missing"], report["missing"]
    password: str | None = banatie_infra.read_secret(deploy_dir, "POSTGRES_PASSWORD")
    assert password is not None or not generated

    # The running stack.
    statuses: dict[str, str] = {}
    try:
        for st in banatie_infra.wait(spec, services=None, timeout=120.0):
            container = st["container"]
            health = container["health"] if container is not None else None
            statuses[st["service"]] = st["verdict"]
            print(st["service"], st["kind"], st["verdict"], health, st.get("detail", ""), file=sys.stderr)
    except banatie_infra.WaitError as e:
        print(f"{e.service} not ready (timed out: {e.timed_out}): {e.output}", file=sys.stderr)
        raise
    assert [s["service"] for s in banatie_infra.status(spec)] == list(statuses)
    drift = [d for d in banatie_infra.drift(spec) if d.severity == "error"]
    try:
        dump, sha256 = banatie_infra.backup_db(spec, backup_dir)
    except banatie_infra.DockerError as e:
        raise SystemExit(f"the engine failed: {e}") from e
    except banatie_infra.BackupError as e:
        raise SystemExit(f"the backup failed: {e}") from e
    assert len(sha256) == 64

    print(json.dumps({"version": banatie_infra.__version__, "files": len(files)}), file=sys.stderr)
    return Summary(errors=errors, files=len(files), statuses=statuses, drift=len(drift), backup=dump)


def update(spec: Spec, root: str) -> list[str]:
    """What a deploy script does: deploy with a line per event, read the releases, rotate
    the database password; returns the events seen."""
    seen: list[str] = []

    def on_event(e: Mapping[str, object]) -> None:
        seen.append(str(e["event"]))

    steps = banatie_infra.plan(spec, root, deploy=True)
    changing: list[str] = [s.get("service", s.get("network", "")) for s in steps if s["action"] != "keep"]
    print("deploying:", changing, file=sys.stderr)
    try:
        result = banatie_infra.deploy(spec, root, pull="never", drain=0.2, on_event=on_event)
    except banatie_infra.UpError as e:
        raise SystemExit(f"{e.service} failed: {e}") from e
    except banatie_infra.LockError as e:
        raise SystemExit(f"another run holds the root: {e}") from e
    release: str | None = result["release"]
    newest = banatie_infra.releases(root)[0]
    images: dict[str, str] = {name: i["image_id"] for name, i in newest["services"].items()}
    print(release, newest["verb"], images, file=sys.stderr)
    try:
        rotated = banatie_infra.rotate_secret(spec, "POSTGRES_PASSWORD", root, drain=0.2, on_event=on_event)
    except banatie_infra.RotateError as e:
        raise SystemExit(f"rotation failed at {e.step} (old value back: {e.restored}): {e}") from e
    rotation = rotated["rotation"]
    if rotation["kind"] == "database_password":
        print("new password for", rotation["role"], "rolled:", rotated["redeployed"], file=sys.stderr)
    if not banatie_infra.up(spec, root, pull="never")["noop"]:
        raise SystemExit("up after the rotation changed something")
    try:
        banatie_infra.rollback(spec, release="no-such-release", root=root)
    except banatie_infra.FileError as e:
        print("as expected:", e, file=sys.stderr)
    return seen


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1], sys.argv[2], sys.argv[3]), indent=2))
