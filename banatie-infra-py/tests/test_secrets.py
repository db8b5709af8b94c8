"""`generate_secrets` keeps the CLI's guarantees; `read_secret` is the only way to a value."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

import banatie_infra
from conftest import REPO, run_cli

BANATIE = REPO / "examples" / "banatie.yaml"
KEYS = ["generated", "derived", "kept", "missing", "unknown", "service_files"]


def values_of(path: Path) -> dict[str, str]:
    """The assignments of a simple env file (values as written, unquoted when plain)."""
    out = {}
    for line in path.read_text().splitlines():
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            out[key] = value.strip("'")
    return out


def all_strings(report: object) -> set[str]:
    assert isinstance(report, dict)
    return {name for names in report.values() for name in names}


def test_creates_a_0600_file_and_returns_names_only(tmp_path: Path) -> None:
    spec = banatie_infra.load(BANATIE)
    report = banatie_infra.generate_secrets(spec, tmp_path / "new")

    path = tmp_path / "new" / "secrets.env"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(report) == KEYS
    assert report["generated"] == [
        "POSTGRES_PASSWORD",
        "MINIO_ROOT_PASSWORD",
        "MINIO_SECRET_KEY",
        "JWT_SECRET",
        "SESSION_SECRET",
    ]
    assert report["derived"] == ["DATABASE_URL", "MINIO_ROOT_USER", "MINIO_ACCESS_KEY"]
    assert report["missing"] == ["GEMINI_API_KEY"]
    assert report["kept"] == [] and report["unknown"] == []
    # Each service gets its own file with only its secrets: PostgreSQL never sees the
    # application's API key.
    assert "secrets/banatie-postgres.env" in report["service_files"]
    pg = values_of(tmp_path / "new" / "secrets" / "banatie-postgres.env")
    assert list(pg) == ["POSTGRES_PASSWORD"]
    assert stat.S_IMODE((tmp_path / "new" / "secrets" / "banatie-api.env").stat().st_mode) == 0o600

    values = {v for v in values_of(path).values() if v}
    assert values, "secrets were generated"
    returned = all_strings(report)
    for value in values:
        assert value not in returned, "no value is ever returned"
        assert not any(value in name for name in returned)


def test_same_report_as_the_cli(cli: Path, tmp_path: Path) -> None:
    spec = banatie_infra.load(BANATIE)
    report = banatie_infra.generate_secrets(spec, tmp_path / "py")
    proc = run_cli(cli, "secrets", BANATIE, "--dir", tmp_path / "cli")
    assert proc.returncode == 1, "a supplied secret is missing"
    lines = [line.split()[:2] for line in proc.stdout.splitlines()]
    assert [n for what, n in lines if what == "generated"] == report["generated"]
    assert [n for what, n in lines if what == "derived"] == report["derived"]
    assert [n for what, n in lines if what == "missing"] == report["missing"]
    py_keys = list(values_of(tmp_path / "py" / "secrets.env"))
    assert py_keys == list(values_of(tmp_path / "cli" / "secrets.env")), "same file layout"


def test_existing_values_are_kept_byte_for_byte(tmp_path: Path) -> None:
    spec = banatie_infra.load(BANATIE)
    path = tmp_path / "secrets.env"
    odd = 'p@ss w0rd #1 $HOME "dq"'
    path.write_text(f"# mine\nPOSTGRES_PASSWORD='{odd}'\nEXTRA=1\n")
    path.chmod(0o600)
    before = path.read_bytes()
    assert banatie_infra.read_secret(tmp_path, "POSTGRES_PASSWORD") == odd

    report = banatie_infra.generate_secrets(spec, tmp_path)

    assert "POSTGRES_PASSWORD" in report["kept"]
    assert "POSTGRES_PASSWORD" not in report["generated"]
    assert report["unknown"] == ["EXTRA"]
    assert banatie_infra.read_secret(tmp_path, "POSTGRES_PASSWORD") == odd
    assert banatie_infra.read_secret(tmp_path, "EXTRA") == "1"
    after = path.read_bytes()
    assert after.startswith(before), "existing lines are untouched; new ones are appended"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    url = banatie_infra.read_secret(tmp_path, "DATABASE_URL")
    assert url is not None and "p%40ss%20w0rd%20%231" in url, "derived with the password percent-encoded"

    again = banatie_infra.generate_secrets(spec, tmp_path)
    assert again["generated"] == [] and again["derived"] == []
    assert path.read_bytes() == after, "a second run changes nothing"


def test_supplied_value_is_kept_and_no_longer_missing(tmp_path: Path) -> None:
    spec = banatie_infra.load(BANATIE)
    banatie_infra.generate_secrets(spec, tmp_path)
    path = tmp_path / "secrets.env"
    text = path.read_text().replace("GEMINI_API_KEY=\n", "GEMINI_API_KEY=AIza-real-key\n")
    path.write_text(text)
    report = banatie_infra.generate_secrets(spec, tmp_path)
    assert report["missing"] == []
    assert "GEMINI_API_KEY" in report["kept"]
    assert "AIza-real-key" not in all_strings(report)
    assert banatie_infra.read_secret(tmp_path, "GEMINI_API_KEY") == "AIza-real-key"


def test_read_secret_returns_none_for_what_is_not_there(tmp_path: Path) -> None:
    assert banatie_infra.read_secret(tmp_path, "POSTGRES_PASSWORD") is None
    banatie_infra.generate_secrets(banatie_infra.load(BANATIE), tmp_path)
    assert banatie_infra.read_secret(tmp_path, "NOT_A_SECRET") is None
    password = banatie_infra.read_secret(tmp_path, "POSTGRES_PASSWORD")
    assert password is not None and len(password) >= 32


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660])
def test_group_or_world_readable_file_is_refused(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "secrets.env"
    path.write_text("POSTGRES_PASSWORD=x\n")
    path.chmod(mode)
    with pytest.raises(banatie_infra.SecretsError):
        banatie_infra.generate_secrets(banatie_infra.load(BANATIE), tmp_path)
    assert path.read_text() == "POSTGRES_PASSWORD=x\n"
