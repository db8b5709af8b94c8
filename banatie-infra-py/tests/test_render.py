"""Load, validate and render from Python equal the CLI's output, byte for byte."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

import banatie_infra
from conftest import BAD_INPUTS, EXAMPLES, REPO, cli_json, files_under, run_cli


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_render_equals_cli_byte_for_byte(cli: Path, example: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    proc = run_cli(cli, "render", example, "-o", out)
    assert proc.returncode == 0, proc.stderr
    on_disk = files_under(out)

    rendered = banatie_infra.load(example).render()

    assert list(rendered) == [line.split()[1] for line in proc.stdout.splitlines()], "same files, same order"
    assert set(rendered) == set(on_disk)
    for path, contents in rendered.items():
        assert isinstance(contents, bytes)
        assert contents == on_disk[path].read_bytes(), path


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_render_to_writes_what_the_cli_writes(cli: Path, example: Path, tmp_path: Path) -> None:
    cli_dir, py_dir = tmp_path / "cli", tmp_path / "py"
    proc = run_cli(cli, "render", example, "-o", cli_dir)
    assert proc.returncode == 0, proc.stderr
    spec = banatie_infra.load(example)

    written = spec.render_to(py_dir)

    assert written == [(line.split()[1], line.split()[0]) for line in proc.stdout.splitlines()]
    assert all(outcome == "created" for _, outcome in written)
    cli_files, py_files = files_under(cli_dir), files_under(py_dir)
    assert set(cli_files) == set(py_files), "no temporary file is left behind"
    for path, p in py_files.items():
        assert p.read_bytes() == cli_files[path].read_bytes(), path
        assert stat.S_IMODE(p.stat().st_mode) == stat.S_IMODE(cli_files[path].stat().st_mode), path


def test_render_to_leaves_unchanged_files_alone_and_reports_updates(tmp_path: Path) -> None:
    spec = banatie_infra.load(REPO / "examples" / "banatie.yaml")
    spec.render_to(tmp_path)
    compose = tmp_path / "docker-compose.yml"
    compose.write_text("edited by hand\n")
    inode_env = (tmp_path / ".env").stat().st_ino

    again = dict(spec.render_to(tmp_path))

    assert again["docker-compose.yml"] == "updated"
    assert {o for p, o in again.items() if p != "docker-compose.yml"} == {"unchanged"}
    assert (tmp_path / ".env").stat().st_ino == inode_env, "an unchanged file is not rewritten"
    assert compose.read_bytes() == spec.render()["docker-compose.yml"]
    assert not (tmp_path / "secrets.env").exists(), "rendering never writes secrets.env"


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_validate_equals_cli_json(cli: Path, example: Path) -> None:
    proc = run_cli(cli, "validate", "--format", "json", example)
    assert proc.returncode == 0, proc.stderr
    assert cli_json(banatie_infra.load(example).validate()) == json.loads(proc.stdout)


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda p: p.name)
def test_bad_inputs_give_the_cli_diagnostics(cli: Path, bad: Path) -> None:
    """Every hand-written bad input of the core's tests: the same findings as
    ``banatie-infra validate --format json``, from ``load`` (a ``SpecError``) or from
    ``validate``."""
    rel = bad.relative_to(REPO)
    proc = run_cli(cli, "validate", "--format", "json", rel, cwd=REPO)
    if proc.returncode == 2:
        # The CLI cannot tell the format or read the file: no JSON, exit 2.
        with pytest.raises((banatie_infra.SpecError, banatie_infra.FileError)):
            banatie_infra.load(bad)
        return
    expected = json.loads(proc.stdout)
    try:
        spec = banatie_infra.load(REPO / rel)
    except banatie_infra.SpecError as e:
        assert len(e.diagnostics) == 1
        found = cli_json(e.diagnostics)
        assert e.code == expected[0]["code"]
        assert (e.line, e.column) == (expected[0].get("line"), expected[0].get("column"))
    else:
        found = cli_json(spec.validate())
    for item in found:  # the CLI names the file as given (relative to the repository)
        if "file" in item:
            item["file"] = Path(str(item["file"])).relative_to(REPO).as_posix()
    assert found == expected
    assert (proc.returncode == 1) == any(d["severity"] == "error" for d in expected)


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_dict_and_json_round_trips(example: Path) -> None:
    spec = banatie_infra.load(example)
    as_dict = spec.to_dict()
    assert isinstance(as_dict, dict)
    assert json.loads(spec.to_json()) == as_dict

    from_dict = banatie_infra.Spec.from_dict(as_dict)
    from_json = banatie_infra.loads(spec.to_json(), format="json")
    from_text = banatie_infra.loads(example.read_text(), format=example.suffix[1:], name=str(example))

    assert from_dict == spec == from_json == from_text
    assert from_dict.render() == spec.render() == from_json.render()
    assert from_dict.to_dict() == as_dict
    assert cli_json(from_text.validate()) == cli_json(spec.validate())


def test_the_toml_and_yaml_examples_are_the_same_spec() -> None:
    yaml = banatie_infra.load(REPO / "examples" / "banatie.yaml")
    toml = banatie_infra.load(REPO / "examples" / "banatie.toml")
    assert yaml == toml
    assert yaml.render() == toml.render()


def test_validate_reports_positions_for_loaded_specs_and_pointers_for_dicts() -> None:
    text = (REPO / "banatie-infra-cli" / "tests" / "fixtures" / "seed-defects.yaml").read_text()
    loaded = banatie_infra.loads(text, name="seed.yaml")
    diags = loaded.validate()
    errors = [d for d in diags if d.severity == "error"]
    assert errors, "the seed defects are errors"
    assert all(d.file == "seed.yaml" and d.line and d.column for d in diags)

    from_dict = banatie_infra.Spec.from_dict(loaded.to_dict())
    plain = from_dict.validate()
    assert [(d.code, d.path, d.message) for d in plain] == [(d.code, d.path, d.message) for d in diags]
    assert all(d.file is None and d.line is None and d.column is None for d in plain)


def test_spec_and_diagnostic_values() -> None:
    spec = banatie_infra.loads("stack: {name: demo}\nservices: {}\n", name="demo.yaml")
    assert repr(spec) == "<Spec 'demo': 0 service(s) from 'demo.yaml'>"
    assert spec != banatie_infra.loads("stack: {name: other}\nservices: {}\n")
    assert spec != "demo"
    with pytest.raises(TypeError):
        hash(spec)

    with pytest.raises(banatie_infra.SpecError) as info:
        banatie_infra.loads("stack: {name: demo}\nservices: {}\nsecrets: {X: {lenght: 4}}\n")
    d = info.value.diagnostics[0]
    assert d == info.value.diagnostics[0] and hash(d) == hash(info.value.diagnostics[0])
    assert repr(d) == (
        "Diagnostic(code='BI101', severity='error', path='/secrets/X/lenght', "
        "message='unknown key `lenght`', help='did you mean `length`?', file='<input>', line=3, column=15)"
    )
    assert str(d) == "<input>:3:15: error[BI101]: unknown key `lenght` (at /secrets/X/lenght; help: did you mean `length`?)"
    assert d.to_dict() == {
        "code": "BI101",
        "severity": "error",
        "path": "/secrets/X/lenght",
        "message": "unknown key `lenght`",
        "help": "did you mean `length`?",
        "file": "<input>",
        "line": 3,
        "column": 15,
    }


def test_json_schema_equals_the_cli(cli: Path) -> None:
    schema = banatie_infra.json_schema()
    proc = run_cli(cli, "schema")
    assert proc.returncode == 0, proc.stderr
    assert schema == json.loads(proc.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert list(schema["properties"]) == list(json.loads(proc.stdout)["properties"]), "same key order"


def test_load_accepts_path_like_and_str(tmp_path: Path) -> None:
    example = REPO / "examples" / "blog.yaml"
    assert banatie_infra.load(example) == banatie_infra.load(str(example))
    spec = banatie_infra.load(example)
    assert spec.render_to(str(tmp_path / "a")) == spec.render_to(tmp_path / "b")


def test_worker_and_generic_service_kinds_from_python() -> None:
    text = (
        "stack: {name: shop, userns_remap: {enabled: false}}\n"
        "networks: {inner: {internal: true}}\n"
        "services:\n"
        "  cache:\n"
        "    kind: service\n"
        "    image: redis:7.2.5-alpine\n"
        "    networks: [inner]\n"
        "  worker:\n"
        "    kind: worker\n"
        "    image: shop-worker:1.4.0\n"
        "    command: [node, dist/worker.js]\n"
        "    health: {none: a queue consumer with nothing to ask}\n"
        "    networks: [inner]\n"
    )
    spec = banatie_infra.loads(text, name="shop.yaml")
    found = spec.validate()
    assert [(d.code, d.path, d.line) for d in found if d.severity == "error"] == [
        ("BI332", "/services/cache/health", 4)
    ]
    assert spec.to_dict()["services"]["worker"]["kind"] == "worker"

    fixed = banatie_infra.loads(text.replace("    networks: [inner]\n  worker:", "    health: {exec: [redis-cli, ping]}\n    networks: [inner]\n  worker:"), name="shop.yaml")
    assert [d for d in fixed.validate() if d.severity == "error"] == []
    compose = fixed.render()["docker-compose.yml"].decode()
    assert "- redis-cli" in compose and "disable: true" in compose
