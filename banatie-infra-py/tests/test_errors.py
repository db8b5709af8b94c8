"""Every exception class, raised by a real bad input."""

from __future__ import annotations

import errno
import importlib
import os
from pathlib import Path

import pytest

import banatie_infra
from conftest import REPO

# The compiled module itself: it also holds the private test hook.
native = importlib.import_module("banatie_infra.banatie_infra")
SEED_DEFECTS = REPO / "banatie-infra-cli" / "tests" / "fixtures" / "seed-defects.yaml"
MINIMAL = "stack: {name: demo}\nservices: {}\n"


def test_hierarchy() -> None:
    b = banatie_infra
    assert issubclass(b.BanatieInfraError, Exception)
    assert b.SpecError.__mro__[1:3] == (b.BanatieInfraError, ValueError)
    assert issubclass(b.FileError, b.BanatieInfraError) and issubclass(b.FileError, OSError)
    for child in (b.SecretsError, b.DockerError, b.BackupError):
        assert child.__bases__ == (b.BanatieInfraError,)
    assert b.WaitError.__bases__ == (b.DockerError,)
    for cls in (b.BanatieInfraError, b.SpecError, b.FileError, b.SecretsError, b.DockerError, b.WaitError, b.BackupError):
        assert cls.__module__ == "banatie_infra", cls
        assert cls.__doc__ and "Example" in cls.__doc__, cls


def test_broken_yaml_is_a_spec_error_with_position() -> None:
    with pytest.raises(banatie_infra.SpecError) as info:
        banatie_infra.loads("stack: {name: demo\nservices: [\n", name="broken.yaml")
    e = info.value
    assert isinstance(e, ValueError) and isinstance(e, banatie_infra.BanatieInfraError)
    assert e.code == "BI100"
    assert e.line is not None and e.column is not None
    assert [d.code for d in e.diagnostics] == ["BI100"]
    assert e.diagnostics[0].file == "broken.yaml"
    assert str(e).startswith(f"broken.yaml:{e.line}:{e.column}: error[BI100]: ")


def test_unknown_key_bi101_with_line_column_and_help(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("stack:\n  name: demo\nservices:\n  web:\n    kind: app\n    image: nginx:1.27\n    prot: 8080\n")
    with pytest.raises(banatie_infra.SpecError) as info:
        banatie_infra.load(path)
    e = info.value
    assert (e.code, e.path, e.line, e.column) == ("BI101", "/services/web/prot", 7, 5)
    (d,) = e.diagnostics
    assert d.help == "did you mean `port`?"
    assert d.file == str(path) and d.severity == "error"


@pytest.mark.parametrize(
    ("text", "fmt", "code", "line", "column"),
    [
        ("stack: {name: Demo_1}\nservices: {}\n", "yaml", "BI102", 1, 15),
        ("services: {}\n", "yaml", "BI103", None, None),
        ("stack: {name: a}\nstack: {name: b}\nservices: {}\n", "yaml", "BI104", 2, 1),
        ('[stack]\nname = "demo"\nnmae = 1\n[services]\n', "toml", "BI101", 3, 1),
        ('{"stack": {"name": "demo"}, "services": {}, "env": {"A": 1}', "json", "BI100", None, None),
        ('[stack\nname = "demo"\n', "toml", "BI100", 1, None),
    ],
)
def test_loader_codes(text: str, fmt: str, code: str, line: int | None, column: int | None) -> None:
    with pytest.raises(banatie_infra.SpecError) as info:
        banatie_infra.loads(text, format=fmt)
    assert info.value.code == code, info.value
    if line is not None:
        assert info.value.line == line, info.value
    if column is not None:
        assert info.value.column == column, info.value


def test_unknown_extension_is_a_spec_error(tmp_path: Path) -> None:
    path = tmp_path / "spec.txt"
    path.write_text(MINIMAL)
    with pytest.raises(banatie_infra.SpecError) as info:
        banatie_infra.load(path)
    assert info.value.code == "BI100"
    assert info.value.line is None and info.value.diagnostics[0].file == str(path)
    assert "use a .yaml, .yml, .toml or .json extension" in str(info.value)


def test_not_utf8_is_a_spec_error_at_the_bad_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"stack: {name: demo}\nservices: {}\nenv: {A: caf\xe9}\n")
    with pytest.raises(banatie_infra.SpecError) as info:
        banatie_infra.load(path)
    assert (info.value.code, info.value.line) == ("BI100", 3)


def test_unreadable_spec_file_is_a_file_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.yaml"
    with pytest.raises(banatie_infra.FileError) as info:
        banatie_infra.load(missing)
    e = info.value
    assert isinstance(e, OSError) and isinstance(e, banatie_infra.BanatieInfraError)
    assert not isinstance(e, banatie_infra.SpecError)
    assert (e.errno, e.filename) == (errno.ENOENT, str(missing))
    assert e.strerror == os.strerror(errno.ENOENT)

    directory = tmp_path / "dir.yaml"
    directory.mkdir()
    with pytest.raises(banatie_infra.FileError) as info:
        banatie_infra.load(directory)
    assert info.value.errno == errno.EISDIR


def test_bad_arguments_are_plain_python_errors() -> None:
    with pytest.raises(ValueError, match="unknown format"):
        banatie_infra.loads(MINIMAL, format="ini")
    with pytest.raises(TypeError, match="JSON-like"):
        banatie_infra.Spec.from_dict({"stack": {"name": "demo"}, "services": {}, "env": {"A": object()}})
    with pytest.raises(TypeError):
        banatie_infra.load(42)  # type: ignore[arg-type]


def test_from_dict_errors_have_pointers_but_no_positions() -> None:
    with pytest.raises(banatie_infra.SpecError) as info:
        banatie_infra.Spec.from_dict({"stack": {"name": "demo", "nmae": 1}, "services": {}})
    e = info.value
    assert (e.code, e.path, e.line, e.column) == ("BI101", "/stack/nmae", None, None)
    with pytest.raises(banatie_infra.SpecError) as info:
        banatie_infra.Spec.from_dict([1, 2])  # type: ignore[arg-type]
    assert info.value.code == "BI102"


def test_render_of_an_invalid_spec_raises_spec_error_with_all_diagnostics(tmp_path: Path) -> None:
    spec = banatie_infra.load(SEED_DEFECTS)
    findings = spec.validate()
    errors = [d for d in findings if d.severity == "error"]
    assert len(errors) > 1

    with pytest.raises(banatie_infra.SpecError) as info:
        spec.render()
    e = info.value
    assert e.diagnostics == findings, "all findings, warnings too, with positions"
    assert (e.code, e.path, e.line, e.column) == (errors[0].code, errors[0].path, errors[0].line, errors[0].column)
    assert str(e).startswith(f"the spec has {len(errors)} error(s); first: {SEED_DEFECTS}:")

    with pytest.raises(banatie_infra.SpecError):
        spec.render_to(tmp_path / "out")
    assert not (tmp_path / "out").exists(), "nothing is written"

    with pytest.raises(banatie_infra.SpecError):
        banatie_infra.generate_secrets(spec, tmp_path / "secrets")
    assert not (tmp_path / "secrets").exists(), "no secrets.env for an invalid spec"


def test_render_to_an_unwritable_place_is_a_file_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    spec = banatie_infra.load(REPO / "examples" / "blog.yaml")
    with pytest.raises(banatie_infra.FileError) as info:
        spec.render_to(blocker / "out")
    assert info.value.errno == errno.ENOTDIR
    assert str(blocker / "out") in str(info.value.filename)


def test_insecure_or_malformed_secrets_file_is_a_secrets_error(tmp_path: Path) -> None:
    spec = banatie_infra.load(REPO / "examples" / "blog.yaml")
    secrets = tmp_path / "secrets.env"
    secrets.write_text("POSTGRES_PASSWORD=kept-value\n")
    secrets.chmod(0o644)
    with pytest.raises(banatie_infra.SecretsError, match="0644") as info:
        banatie_infra.generate_secrets(spec, tmp_path)
    assert "kept-value" not in str(info.value)
    with pytest.raises(banatie_infra.SecretsError):
        banatie_infra.read_secret(tmp_path, "POSTGRES_PASSWORD")
    assert secrets.read_text() == "POSTGRES_PASSWORD=kept-value\n", "the file is left alone"

    secrets.chmod(0o600)
    secrets.write_text("POSTGRES_PASSWORD=first-s3cret\nPOSTGRES_PASSWORD=second-s3cret\n")
    with pytest.raises(banatie_infra.SecretsError, match="defined again") as info:
        banatie_infra.generate_secrets(spec, tmp_path)
    assert "s3cret" not in str(info.value)

    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(banatie_infra.FileError):
        banatie_infra.generate_secrets(spec, blocker)


@pytest.mark.parametrize("call", ["status", "wait", "drift", "backup_db"])
def test_docker_calls_without_an_engine_raise_docker_error(
    call: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    spec = banatie_infra.load(REPO / "examples" / "blog.yaml")
    with pytest.raises(banatie_infra.DockerError) as info:
        if call == "status":
            banatie_infra.status(spec)
        elif call == "wait":
            banatie_infra.wait(spec, timeout=1)
        elif call == "drift":
            banatie_infra.drift(spec)
        else:
            banatie_infra.backup_db(spec, tmp_path)
    assert type(info.value) is banatie_infra.DockerError
    assert "no Docker engine at unix:///nonexistent.sock" in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_wait_rejects_a_bad_timeout() -> None:
    spec = banatie_infra.loads(MINIMAL)
    for bad in (-1.0, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="timeout"):
            banatie_infra.wait(spec, timeout=bad)


def test_a_panic_is_an_internal_banatie_infra_error() -> None:
    with pytest.raises(banatie_infra.BanatieInfraError, match=r"^internal error: boom \(a bug"):
        native._panic_for_tests("boom")


def test_render_to_refuses_a_foreign_or_system_root_unless_forced(tmp_path: Path) -> None:
    """Like ``render -o``: a non-empty directory that holds no bundle is refused (BI703)
    unless ``force=True``, and a system directory always (BI702); nothing is written."""
    spec = banatie_infra.load(REPO / "examples" / "blog.yaml")
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine\n")
    with pytest.raises(banatie_infra.FileError, match="BI703"):
        spec.render_to(foreign)
    assert sorted(p.name for p in foreign.iterdir()) == ["notes.txt"]
    written = spec.render_to(foreign, force=True)
    assert ("docker-compose.yml", "created") in written
    with pytest.raises(banatie_infra.FileError, match="BI702"):
        spec.render_to("/etc")
