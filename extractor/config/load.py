"""Load request, catalog and policy together and check that they agree with each other."""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path

from extractor.config import legal_bases
from extractor.config.catalog import WITHHELD_ROLES, Catalog, load_catalog
from extractor.config.notice_texts import LANGUAGES, missing_hint, shown_fields
from extractor.config.policy import Policy, Purpose, default_policy_path, load_policy
from extractor.config.request import Request, load_request
from extractor.config.rules import POLICY_RULES, RULES
from extractor.errors import ConfigError, ExtractorError


@dataclass(frozen=True)
class RunConfig:
    request: Request
    catalog: Catalog
    policy: Policy
    unapplied: dict[str, str] = field(default_factory=dict)  # rule -> why the catalog could not support it

    @property
    def purpose(self) -> Purpose:
        return self.policy.purposes[self.request.purpose]

    def active_rules(self) -> list[str]:
        return [rule for rule in RULES if self.purpose.applies(rule) and rule not in self.unapplied]


class MissingLanguage(ConfigError):
    """A text a patient notice shows lacks a notice language: the key as the request wrote it, and the language."""

    def __init__(self, path: Path, key: str, missing: list[str], hint: str = "") -> None:
        ExtractorError.__init__(self, f"{path}: {key}: no text for " + ", ".join(f'"{lang}"' for lang in missing)
                                + f" (expected fi, sv and en{hint})")


def _require_notice_languages(request: Request) -> None:
    """Every text a patient notice shows, in every notice language: else one line naming key and language."""
    for key, texts in shown_fields(request.texts, request.notice).values():
        missing = [lang for lang in LANGUAGES if lang not in texts]
        if missing:
            raise MissingLanguage(request.path, key, missing, missing_hint(key, texts))


def load_config(request_path: Path, data_root: Path | None = None, today: dt.date | None = None,
                schema_only: bool = False, controller_files: tuple[Path, Path | None] | None = None) -> RunConfig:
    """The request with its catalog and policy, checked against each other; `schema_only`: without the
    source files (the researcher's side: dummy data, query tests); `controller_files`: (catalog, policy)
    in place of the request's own (the runner, for requests handed in)."""
    request = load_request(request_path, today, controller_files)
    catalog = load_catalog(request.catalog, data_root, schema_only)
    policy = load_policy(request.policy or default_policy_path())
    rp = request.path
    if request.purpose not in policy.purposes:
        raise ConfigError(rp, "request.purpose", "a purpose of the policy: " + ", ".join(policy.purposes),
                          request.purpose)
    purpose = policy.purposes[request.purpose]
    if policy.notice_languages == "required":
        _require_notice_languages(request)
    for i, out in enumerate(request.outputs):
        if out.kind not in purpose.outputs:
            raise ConfigError(rp, f"outputs[{i}].kind", f"an output kind the policy allows for "
                              f"'{purpose.name}': " + ", ".join(purpose.outputs), out.kind)
    unapplied = {}
    for rule, section in ((r.id, r.catalog_section) for r in POLICY_RULES if r.catalog_section):
        if purpose.applies(rule) and getattr(catalog, section) is None:  # the export does not carry it
            unapplied[rule] = (f"could not be applied: the catalog ({catalog.path.name}) has no [{section}] "
                               "section, so the export gives this rule nothing to read")
    for rule in (r.id for r in POLICY_RULES if r.needs_register):  # a register is named after its rule
        if purpose.applies(rule) and rule not in catalog.registers:
            raise ConfigError(catalog.path, f"registers.{rule}",
                              f"a register for rule '{rule}', which applies to purpose '{purpose.name}' "
                              f"(or an exemption with its legal reason in {policy.path.name})")
    for i, out in enumerate(request.outputs):
        a = out.anonymisation
        if a and a.k is not None and a.k < purpose.disclosure.k:
            raise ConfigError(rp, f"outputs[{i}].k", f"k >= {purpose.disclosure.k} (the policy's floor for "
                              f"'{purpose.name}')", a.k)
        if a and a.l is not None and a.l < purpose.disclosure.l:
            raise ConfigError(rp, f"outputs[{i}].l", f"l >= {purpose.disclosure.l} (the policy's floor)", a.l)
        if a and a.suppression_limit is not None and a.suppression_limit > purpose.disclosure.suppression_limit:
            raise ConfigError(rp, f"outputs[{i}].suppression_limit", "a limit not above the policy's "
                              f"{purpose.disclosure.suppression_limit}", a.suppression_limit)
    if purpose.consent_required and not request.study:
        raise ConfigError(rp, "request.study", f"the study id whose consents count (purpose '{purpose.name}' "
                          "is consent-based)")
    _check_consent_named_only_where_applied(request, policy, purpose)
    if request.variables is not None:
        _check_variables(request, catalog)
    return RunConfig(request, catalog, policy, unapplied)


CONSENT_BASES = ("gdpr-6-1-a", "gdpr-9-2-a")  # consent as the legal basis: only where consents are applied


def _check_consent_named_only_where_applied(request: Request, policy: Policy, purpose: Purpose) -> None:
    """A study, or consent as the legal basis, under a purpose whose rules apply no research consent would let
    everyone not opted out through while the request, the report and the notice say consent decides: refused."""
    if purpose.consent_required:
        return
    with_consent = [p.name for p in policy.purposes.values() if p.consent_required]
    instead = (f"use a purpose whose policy applies research consent ({', '.join(with_consent)})" if with_consent
               else f"the policy ({policy.path.name}) has no purpose that applies research consent")
    if request.study:
        raise ConfigError(request.path, "request.study", f"no study under purpose '{request.purpose}': its rules "
                          f"apply no research consent, so the study's consents would decide nothing; {instead}, "
                          "or remove study", request.study)
    cited = request.texts.get("legal_basis", {}).get("en", "")  # ids are written out as the registry names them
    consent = [i for i in CONSENT_BASES if legal_bases.registry()[i]["en"] in cited]
    if consent:
        raise ConfigError(request.path, "request.legal_basis", f"a basis other than consent ({consent[0]}) under "
                          f"purpose '{request.purpose}', whose rules apply no research consent; {instead} and name "
                          "the study", consent[0])


def _check_variables(request: Request, catalog: Catalog) -> None:
    for table, columns in (request.variables or {}).items():
        if table not in catalog.tables:
            near = difflib.get_close_matches(table, list(catalog.tables), n=1)
            raise ConfigError(request.path, f"variables.{table}", "a table of the catalog"
                              + (f" (did you mean '{near[0]}'?)" if near else "") + ": " + ", ".join(catalog.tables),
                              table)
        roles = {c.name: c.role for c in catalog.tables[table].columns}
        for col in columns:
            if col not in roles:
                elsewhere = [t.name for t in catalog.tables.values() if col in {c.name for c in t.columns}]
                if elsewhere:  # region listed under documents: it is a column of clients
                    raise ConfigError(request.path, f"variables.{table}", f"a column of '{table}'; '{col}' is a "
                                      f"column of '{elsewhere[0]}': list it under [variables].{elsewhere[0]}", col)
                near = difflib.get_close_matches(col, list(roles), n=1)
                raise ConfigError(request.path, f"variables.{table}", "a column the catalog declares for "
                                  f"'{table}'" + (f" (did you mean '{near[0]}'?)" if near else ""), col)
            if roles[col] in WITHHELD_ROLES and roles[col] != "free_text":  # free text is given redacted
                raise ConfigError(request.path, f"variables.{table}", f"columns a query may read ('{col}' is a "
                                  f"{roles[col]} and is never given to queries)", col)
