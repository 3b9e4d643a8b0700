"""The wheel stands alone: built from the source, installed into a fresh virtualenv, run from another folder."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

from conftest import REPO

SHIPPED = ("pyproject.toml", "README.md", "extractor", "examples", "queries", "reports")


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv holding only the wheel; its dependencies are the test environment's (offline)."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"  # a copy, so that building leaves nothing in the working tree
    source.mkdir()
    for name in SHIPPED:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, source / name)
    dist = base / "dist"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
                    "--no-build-isolation", "-w", str(dist), str(source)], check=True, capture_output=True)
    wheel = next(dist.glob("extractor-*.whl"))
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    site = Path(subprocess.run([str(env_dir / "bin" / "python"), "-c",
                                "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install",
                    "--quiet", "--no-deps", "--no-index", str(wheel)], check=True, capture_output=True)
    return env_dir


def clean_env() -> dict[str, str]:
    """Nothing that would let the installed package see the source tree."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}


def run(env_dir: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(env_dir / "bin" / "extractor"), *args], capture_output=True, text=True, cwd=cwd,
                          env=clean_env(), timeout=900)


def test_wheel_carries_examples_queries_templates_and_data(installed: Path, tmp_path: Path) -> None:
    code = ("import extractor, pathlib; from extractor.shipped import shipped; "
            "print(pathlib.Path(extractor.__file__).parent); "
            "print(*(shipped(*p).is_file() for p in [('examples', 'registry', 'audit_request.toml'), "
            "('queries', 'audit_document_volumes.sql'), ('reports', 'review.html.j2'), "
            "('examples', 'adult', 'data', 'adult.csv'), ('examples', 'synthea', 'data', 'patients.csv'), "
            "('data', 'fi', 'person_names_2016.tsv'), ('data', 'default_policy.toml'), "
            "('data', 'langid', 'fi_sv_en.npz'), ('locale', 'fi', 'LC_MESSAGES', 'extractor.po')]))")
    proc = subprocess.run([str(installed / "bin" / "python"), "-c", code], capture_output=True, text=True,
                          cwd=tmp_path, env=clean_env(), check=True)
    package, found = proc.stdout.splitlines()
    assert Path(package).is_relative_to(installed) and not Path(package).is_relative_to(REPO)
    assert found.split() == ["True"] * 9
    version = run(installed, "--version", cwd=tmp_path)
    assert version.returncode == 0 and version.stdout.startswith("extractor 0.")


def test_installed_demo_runs_from_any_folder(installed: Path, tmp_path: Path) -> None:
    # The size of the other tests' registry: what is tested is the install, not the scale (the notes request is
    # most of the run, and grows with the clients).
    proc = run(installed, "demo", "--workdir", "d", "--clients", "3000", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = tmp_path / "d" / "out"
    for request in ("AUD-2026-014", "RES-2026-007", "RES-2026-008", "RES-2026-009"):
        latest = out / request / "latest"
        assert (latest / "release" / "manifest.json").is_file()
        assert (latest / "review" / "review.html").is_file()
        assert "Mitä luovutetaan" in (latest / "review" / "review_fi.html").read_text(encoding="utf-8")
        assert {p.name for p in (latest / "notices").iterdir()} >= {"notice_fi.html", "notice_sv.html",
                                                                     "notice_en.html"}
    assert list((out / ".extractor" / "work").iterdir()) == []
    check = run(installed, "check", str(out / "AUD-2026-014" / "latest"), cwd=tmp_path)
    assert check.returncode == 0, check.stderr
