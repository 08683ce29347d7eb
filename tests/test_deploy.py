"""Deployment files: docker-compose sets only variables the app reads; CI runs the README's test command."""

from __future__ import annotations

import json
import re

import yaml

from service.config import env_var_names
from tests.helpers import REPO


def test_compose_sets_only_variables_the_app_reads() -> None:
    compose = yaml.safe_load((REPO / "docker-compose.yml").read_text())
    api = compose["services"]["api"]
    env = api["environment"]
    names = set(env) if isinstance(env, dict) else {item.split("=", 1)[0] for item in env}
    assert "DATABASE_URL" in names
    unknown = names - env_var_names()
    assert not unknown, f"compose sets variables the app never reads: {sorted(unknown)}"
    assert env["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert "postgres" in api["depends_on"]
    assert any(str(p).startswith("127.0.0.1:") for p in api["ports"])


def test_env_var_names_cover_settings() -> None:
    names = env_var_names()
    assert {"CROSSCHECK_DATA_DIR", "CROSSCHECK_MODEL", "DATABASE_URL", "CROSSCHECK_MAX_TEXT_BYTES"} <= names


def test_ci_runs_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text()
    ci = (REPO / ".ci" / "run").read_text()
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^(make \w+)$", quickstart, flags=re.M)
    assert commands == ["make demo", "make test"], commands
    assert "make test" in ci


def test_the_image_ingests_the_seeds_only_behind_the_demo_switch() -> None:
    dockerfile = (REPO / "Dockerfile").read_text()
    [cmd] = [line for line in dockerfile.splitlines() if line.startswith("CMD ")]
    shell = json.loads(cmd[len("CMD ") :])[-1]
    guarded, _, rest = shell.partition("fi;")
    assert guarded.startswith('if [ -n "$CROSSCHECK_DEMO_SEEDS" ]; then crosscheck ingest')
    assert "ingest" not in rest and "seeds" not in rest and "crosscheck serve" in rest
