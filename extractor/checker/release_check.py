"""The output checker: re-reads the files that would be released and verifies them on its own.

It trusts nothing upstream. It takes its rules from the policy and catalog files named in the manifest
(after verifying their hashes) and checks every released file: listed in the manifest with the right
hash, an allowed type, within the size and row caps, no column named like an identifier, no direct
identifier left in any cell or text (residual_scan.py: identity codes, phones, e-mails, accounts,
addresses, names, pseudonyms), and every count either redacted or a permitted value.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import stat
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from extractor.checker.person_rows import person_level_rows
from extractor.checker.residual_scan import scan_document, scan_frame
from extractor.config.policy import Disclosure
from extractor.errors import ExtractorError
from extractor.files import sha256_file
from extractor.release.layout import MANIFEST, RunFolder

ALLOWED_SUFFIXES = {".csv", ".parquet", ".html", ".txt", ".md"}
DOCUMENT_SUFFIXES = {".html", ".txt", ".md"}
# Free text is not forbidden by name: a redacted note may be released, and the residual scan reads it.
FORBIDDEN_ROLES = {"person_key", "document_key", "document_version", "direct_identifier"}


@dataclass(frozen=True)
class Rules:
    threshold: int
    rounding_base: int
    rounding: str
    max_rows: int
    max_file_mb: int
    forbidden_columns: frozenset[str]
    k: int = 5
    l: int = 2  # noqa: E741
    disclosure: Disclosure | None = None  # the full disclosure settings, for tables with margins


@dataclass
class CheckReport:
    files: list[str] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings


def rules_from_manifest(manifest: dict, release_dir: Path) -> Rules:
    """Re-derive the rules from the policy and catalog files themselves (the run's copies in its controller
    folder, or a path an older manifest names), refusing if they changed."""
    texts = {}
    for part in ("policy", "catalog"):
        copy = RunFolder(release_dir.parent).inputs / f"{part}.toml"
        path = copy if copy.is_file() or "path" not in manifest[part] else Path(manifest[part]["path"])
        if not path.is_file():
            raise ExtractorError(f"{path}: the {part} named in the manifest is missing; cannot verify")
        if sha256_file(path) != manifest[part]["sha256"]:
            raise ExtractorError(f"{path}: the {part} changed since the run (sha256 differs); cannot verify")
        texts[part] = tomllib.loads(path.read_text(encoding="utf-8"))
    policy = texts["policy"]
    d = {"threshold": 7, "rounding_base": 5, "rounding": "controlled", "max_rows": 5000, "max_file_mb": 32, "k": 5,
         "l": 2}
    d.update(policy.get("disclosure", {}))
    d.update(policy["purposes"][manifest["purpose"]].get("disclosure", {}))
    forbidden = {name.lower() for table in texts["catalog"].get("tables", {}).values()
                 for name, spec in table.get("columns", {}).items()
                 if (spec if isinstance(spec, str) else spec.get("role")) in FORBIDDEN_ROLES}
    known = {f.name for f in dataclasses.fields(Disclosure)}
    disclosure = Disclosure(**{k: v for k, v in d.items() if k in known})
    return Rules(int(d["threshold"]), int(d["rounding_base"]), str(d["rounding"]), int(d["max_rows"]),
                 int(d["max_file_mb"]), frozenset(forbidden), int(d["k"]), int(d["l"]), disclosure)


def _count_ok(values: pl.Series, rules: Rules) -> pl.Series:
    num = values.cast(pl.Int64, strict=False)
    if rules.rounding == "midpoint6":
        allowed = (num == 0) | ((num > rules.threshold) & (num % 6 == 3))
    elif rules.rounding in ("nearest", "controlled"):
        allowed = (num == 0) | ((num > rules.threshold) & (num % rules.rounding_base == 0))
    else:
        allowed = (num == 0) | (num > rules.threshold)
    return (values == "[REDACTED]") | (num.is_not_null() & allowed.fill_null(False))


def _check_records(name: str, df: pl.DataFrame, spec: dict, rules: Rules, report: CheckReport) -> None:
    """Anonymised records: exactly the declared columns, every class at least k, ℓ distinct sensitive values."""
    qis, sensitive = list(spec["quasi_identifiers"]), list(spec.get("sensitive", []))
    if df.columns != qis + sensitive:
        report.findings.append(f"{name}: columns {df.columns} differ from the manifest's {qis + sensitive}")
        return
    k = max(rules.k, int(spec.get("k") or 0))
    if df.height:
        classes = df.group_by(qis).agg(pl.len().alias("n"), *[pl.col(s).n_unique().alias(f"l_{s}") for s in sensitive])
        if classes["n"].min() < k:
            report.findings.append(f"{name}: a class of {classes['n'].min()} record(s); k = {k} requires {k}")
        ell = max(rules.l, int(spec.get("l") or 0))
        for s in sensitive:
            if classes[f"l_{s}"].min() < ell:
                report.findings.append(f"{name}: a class with {classes[f'l_{s}'].min()} distinct '{s}' value(s); "
                                       f"l = {ell}")


def _read(path: Path) -> pl.DataFrame:
    if path.suffix.lower() == ".parquet":
        return pl.read_parquet(path).select(pl.all().cast(pl.String))
    df = pl.read_csv(path, infer_schema=False).select(pl.all().cast(pl.String))  # a header-only file: no types
    with path.open(encoding="utf-8", newline="") as fh:  # Polars leaves doubled quotes in a header name
        header = next(csv.reader(fh), [])
    return df.rename(dict(zip(df.columns, header, strict=True))) if len(header) == df.width else df


def _check_table(path: Path, spec: dict, rules: Rules, report: CheckReport) -> None:
    name = path.name
    if path.suffix.lower() in DOCUMENT_SUFFIXES:
        report.findings += scan_document(name, path)
        return
    try:
        df = _read(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a finding, not a crash
        report.findings.append(f"{name}: not readable as {path.suffix.lstrip('.').upper()} "
                               f"({str(exc).splitlines()[0]})")
        return
    pseudonyms = set(spec.get("pseudonyms", []))
    for col in df.columns:
        if col.lower() in rules.forbidden_columns and col not in pseudonyms:
            report.findings.append(f"{name}: column '{col}' is an identifier column in the catalog")
        formula = df.with_row_index("row").filter(pl.col(col).str.contains(r"^[=+\-@\t\r]")
                                                  & ~pl.col(col).str.contains(r"^[+-]?\d+(\.\d+)?$"))
        if formula.height:
            report.findings.append(f"{name}: column '{col}' row {formula['row'][0] + 2} would run as a spreadsheet "
                                   "formula (CSV injection)")
    match spec.get("kind"):
        case "pseudonymised_records":
            _check_pseudonymised(name, df, spec, pseudonyms, report)
        case "anonymised_records":
            _check_records(name, df, spec, rules, report)
            report.findings += scan_frame(name, df)
        case "table":
            from extractor.checker.table_audit import check_table  # scipy's LPs: loaded when a table is checked

            exact = RunFolder(path.parent.parent).exact_tables / f"{path.stem}.parquet"
            report.findings += check_table(name, df, spec, rules.disclosure, exact)
            report.findings += scan_frame(name, df)
        case _:
            _check_aggregate(name, df, spec, rules, report)
            report.findings += person_level_rows(name, df, spec, rules.threshold,
                                                 RunFolder(path.parent.parent).persons_count)


def _check_pseudonymised(name: str, df: pl.DataFrame, spec: dict, pseudonyms: set[str], report: CheckReport) -> None:
    """Record-level rows: exactly the declared columns; pseudonym columns hold pseudonyms; notes name only
    their own subject."""
    if df.columns != list(spec["dimensions"]):
        report.findings.append(f"{name}: columns {df.columns} differ from the manifest's {spec['dimensions']}")
    for col in pseudonyms & set(df.columns):
        if not df[col].drop_nulls().str.contains(r"^[0-9a-f]{32}$").all():
            report.findings.append(f"{name}: column '{col}' holds values that are not pseudonyms")
    report.findings += scan_frame(name, df, [c for c in pseudonyms if c in df.columns])


def _check_aggregate(name: str, df: pl.DataFrame, spec: dict, rules: Rules, report: CheckReport) -> None:
    """An aggregate: the declared columns, one row per combination, every count 0, redacted or rounded."""
    expected = list(spec["dimensions"]) + list(spec["counts"])
    if df.columns != expected:
        report.findings.append(f"{name}: columns {df.columns} differ from the manifest's {expected}")
    if df.height > rules.max_rows:
        report.findings.append(f"{name}: {df.height} rows exceeds the cap of {rules.max_rows}")
    dims = [d for d in spec["dimensions"] if d in df.columns]
    if dims and df.select(dims).is_duplicated().any():
        report.findings.append(f"{name}: rows repeat the same dimension values: not an aggregate")
    for col in spec["counts"]:
        if col not in df.columns:
            continue
        bad = df.with_row_index("row").filter(~_count_ok(df[col], rules))
        if bad.height:
            first = bad.row(0, named=True)
            report.findings.append(f"{name}: column '{col}' row {first['row'] + 2}: value {first[col]!r} is not "
                                   f"0, [REDACTED] or a rounded count above {rules.threshold} "
                                   f"({bad.height} such cells)")
    report.findings += scan_frame(name, df)


def check_release(release_dir: Path) -> CheckReport:
    """Verify a release folder (the one holding manifest.json)."""
    manifest_path = release_dir / MANIFEST
    if release_dir.is_symlink() or manifest_path.is_symlink():
        raise ExtractorError(f"{release_dir}: a symbolic link where a release folder or its manifest should be")
    if not manifest_path.is_file():
        raise ExtractorError(f"{release_dir}: no {MANIFEST}: not a release folder")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        listed = {o["file"]: o for o in manifest["outputs"]}
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ExtractorError(f"{manifest_path}: not a valid manifest ({exc})") from None
    rules = rules_from_manifest(manifest, release_dir)
    report = CheckReport()
    present = []
    for path in sorted(release_dir.rglob("*")):
        if path.is_symlink() or not (path.is_dir() or stat.S_ISREG(path.lstat().st_mode)):
            report.findings.append(f"{path.relative_to(release_dir).as_posix()}: not a regular file (a link or a "
                                   "device): nothing but regular files may be released")
        elif path.is_file() and path.name != MANIFEST:
            present.append(path)
    for path in present:
        rel = path.relative_to(release_dir).as_posix()
        report.files.append(rel)
        if rel not in listed:
            report.findings.append(f"{rel}: not listed in the manifest")
            continue
        if path.suffix.lower() not in ALLOWED_SUFFIXES:
            report.findings.append(f"{rel}: file type {path.suffix or '(none)'} may not be released")
            continue
        if path.stat().st_size > rules.max_file_mb * 1024 * 1024:
            report.findings.append(f"{rel}: larger than {rules.max_file_mb} MB")
        if sha256_file(path) != listed[rel]["sha256"]:
            report.findings.append(f"{rel}: sha256 differs from the manifest")
        _check_table(path, listed[rel], rules, report)
    for rel in sorted(set(listed) - set(report.files)):
        report.findings.append(f"{rel}: listed in the manifest but missing")
    return report
