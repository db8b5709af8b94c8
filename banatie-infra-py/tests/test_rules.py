"""`rules()` and `rule(code)`: the registry, the same as the CLI's `rules --format json`."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

import banatie_infra


def cli_rules() -> list[dict[str, str]]:
    cli = os.environ["BANATIE_INFRA_CLI"]
    out = subprocess.run([cli, "rules", "--format", "json"], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def test_rules_match_the_cli() -> None:
    ours = banatie_infra.rules()
    theirs = cli_rules()
    assert len(ours) == len(theirs) > 100
    for r, c in zip(ours, theirs):
        assert (r.code, r.name, r.severity, r.family, r.summary, r.explanation) == (
            c["code"],
            c["name"],
            c["severity"],
            c["family"],
            c["summary"],
            c["explanation"],
        )
    assert [r.code for r in ours] == sorted(r.code for r in ours)


def test_one_rule_is_its_markdown() -> None:
    r = banatie_infra.rule(" bi301 ")
    assert r.code == "BI301" and r.name == "healthcheck-binary-missing"
    assert str(r) == r.markdown
    assert r.markdown.startswith("# BI301: healthcheck-binary-missing\n")
    assert r.markdown.count("# BI301") == 1
    assert r == banatie_infra.rule("BI301") and hash(r) == hash(banatie_infra.rule("BI301"))
    with pytest.raises(AttributeError):
        r.code = "BI999"  # type: ignore[misc]


def test_an_unknown_code_names_the_closest() -> None:
    with pytest.raises(KeyError, match="did you mean `BI301`"):
        banatie_infra.rule("BI31")
    with pytest.raises(KeyError, match="no rule has the code `nonsense`"):
        banatie_infra.rule("nonsense")
