"""The output checker catches what must not be released, re-reading the files itself."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO, TEST_KEY
from extractor.checker.release_check import check_release
from extractor.config.load import load_config
from extractor.errors import ExtractorError
from extractor.files import sha256_file
from extractor.pipeline import run_extract

CSV = "documents_by_registrar.csv"


@pytest.fixture(scope="module")
def good_release(registry: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The audit request's aggregate output alone: every tampering below edits that file or the folder, so the
    table output (whose LP audit the checker repeats on every call) would only slow each case down."""
    folder = REPO / "examples" / "registry"
    text = (folder / "audit_request.toml").read_text(encoding="utf-8")
    head, table = text.split('[[outputs]]\nname = "document_volumes"')
    text = (head + table[table.index("\n[notice"):])
    text = text.replace('catalog = "catalog.toml"', f'catalog = "{folder / "catalog.toml"}"')
    text = text.replace('query = "../../queries/', f'query = "{REPO / "queries"}/')
    assert 'kind = "table"' not in text and "documents_by_registrar" in text
    request = tmp_path_factory.mktemp("request") / "audit_request.toml"
    request.write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("out")
    release = run_extract(load_config(request, registry), out, TEST_KEY.encode()).release_dir
    assert check_release(release).passed
    return release


def _edit_csv(fn: Callable[[list[str]], list[str]], rehash: bool = True) -> Callable[[Path], None]:
    def apply(folder: Path) -> None:
        path = folder / CSV
        path.write_text("\n".join(fn(path.read_text().splitlines())) + "\n")
        if rehash:
            manifest = json.loads((folder / "manifest.json").read_text())
            manifest["outputs"][0]["sha256"] = sha256_file(path)
            (folder / "manifest.json").write_text(json.dumps(manifest))
    return apply


def _set_cell(col: int, value: str) -> Callable[[list[str]], list[str]]:
    def fn(lines: list[str]) -> list[str]:
        import csv
        import io
        rows = list(csv.reader(io.StringIO("\n".join(lines))))
        rows[1][col] = value
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows(rows)
        return buf.getvalue().splitlines()
    return fn


def _rename_header(old: str, new: str) -> Callable[[list[str]], list[str]]:
    return lambda lines: [lines[0].replace(old, new)] + lines[1:]


TAMPERING = [
    ("a count of 3", _edit_csv(_set_cell(3, "3")), "is not 0, [REDACTED] or a rounded count"),
    ("an unrounded count", _edit_csv(_set_cell(4, "1234")), "is not 0, [REDACTED] or a rounded count"),
    ("a count of 7", _edit_csv(_set_cell(4, "7")), "is not 0, [REDACTED] or a rounded count"),
    ("an identity code in a cell", _edit_csv(_set_cell(0, "Asiakas 131052-308T")), "personal identity code"),
    ("a pseudonym in a cell", _edit_csv(_set_cell(0, "0123456789abcdef0123456789abcdef")), "pseudonym-like"),
    ("an e-mail address", _edit_csv(_set_cell(0, "matti.meikalainen@example.fi")), "e-mail"),
    ("a person-key column", _edit_csv(_rename_header("registrar_name", "client_id")), "identifier column"),
    ("a duplicated row", _edit_csv(lambda lines: lines + [lines[1]]), "not an aggregate"),
    ("a changed file, hash not updated", _edit_csv(_set_cell(3, "3"), rehash=False), "sha256 differs"),
    ("an extra file", lambda f: (f / "extra.csv").write_text("a\n1\n"), "not listed in the manifest"),
    ("a deleted file", lambda f: (f / CSV).unlink(), "listed in the manifest but missing"),
    ("a formula cell", _edit_csv(_set_cell(0, '=HYPERLINK("http://example.org","x")')), "spreadsheet formula"),
]


@pytest.mark.parametrize(("name", "tamper", "finding"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_tampering_is_caught(good_release: Path, tmp_path: Path, name: str, tamper: Callable[[Path], None],
                             finding: str) -> None:
    shutil.copytree(good_release.parent, tmp_path / "run", symlinks=True)
    folder = tmp_path / "run" / "release"  # the controller folder beside it holds the tables' exact values
    tamper(folder)
    report = check_release(folder)
    assert not report.passed
    assert any(finding in f for f in report.findings), report.findings


def test_valid_identity_code_check_is_real(good_release: Path, tmp_path: Path) -> None:
    """A code-shaped string with a wrong check character is not an identity code (no false alarm)."""
    folder = tmp_path / "release"
    shutil.copytree(good_release, folder)
    shutil.copytree(good_release.parent / "controller" / "inputs", tmp_path / "controller" / "inputs")
    _edit_csv(_set_cell(0, "131052-308A"))(folder)
    assert not any("identity code" in f for f in check_release(folder).findings)


def test_changed_policy_cannot_be_used_to_verify(good_release: Path, tmp_path: Path) -> None:
    folder = tmp_path / "release"
    shutil.copytree(good_release, folder)
    shutil.copytree(good_release.parent / "controller" / "inputs", tmp_path / "controller" / "inputs")
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["policy"]["sha256"] = "0" * 64
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ExtractorError, match="changed since the run"):
        check_release(folder)
