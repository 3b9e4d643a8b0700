"""What a reader sees instead of an internal name: purposes, output kinds, register counts, identifiers found
in free text, cell treatments and table reasons, each an English message (the gettext msgid) translated
where it is shown. One place, so the report, the airlock and the CLI say the same thing."""

from __future__ import annotations

import re

from extractor.i18n import N_, gettext_for

PURPOSES = {"audit": N_("Supervision and quality of services"), "statistics": N_("Statistics and management"),
            "research": N_("Scientific research"), "consented_research": N_("Research with consent")}
KINDS = {"aggregate": N_("counts by group"), "table": N_("a table with totals"),
         "anonymised_records": N_("one row per person, anonymised"),
         "pseudonymised_records": N_("one row per person, pseudonymised"),
         "exclusion_flow": N_("rows removed by each rule, rounded")}
REGISTER_COUNTS = {"opt_out_persons": N_("People who said no to secondary use"),
                   "consented_persons": N_("People who gave research consent"),
                   "active_bans_registrar_client": N_("Disclosure bans on a registrar, set by the client"),
                   "active_bans_registrar_representative":
                       N_("Disclosure bans on a registrar, set by a representative"),
                   "active_bans_service_task_client": N_("Disclosure bans on a service task, set by the client"),
                   "active_bans_service_task_representative":
                       N_("Disclosure bans on a service task, set by a representative"),
                   "active_bans_document_client": N_("Disclosure bans on a document, set by the client"),
                   "active_bans_document_representative": N_("Disclosure bans on a document, set by a representative"),
                   "removed_structures": N_("Document structures that have been removed")}
ENTITIES = {"PERSON": N_("names"), "EMAIL_ADDRESS": N_("e-mail addresses"),
            "FI_PERSONAL_IDENTITY_CODE": N_("identity codes"), "FI_BUSINESS_ID": N_("business IDs"),
            "IBAN_CODE": N_("bank accounts"), "PHONE_NUMBER": N_("phone numbers"), "FI_ADDRESS": N_("addresses"),
            "FI_POSTAL_CODE": N_("postal codes"), "DATE": N_("dates")}
PRIMARY_RULES = {"threshold": N_("small count"), "dominance": N_("dominance"), "p_percent": N_("p per cent rule"),
                 "zero": N_("zero"), "full": N_("full cell")}
AUDIT_FIGURES = {"hidden primary cells": N_("hidden primary cells"),
                 "proven by a hidden hypercube": N_("proven by a hidden hypercube"),
                 "proven by earlier LP solutions": N_("proven by solutions of linear programs solved for other cells"),
                 "proven by a local LP": N_("proven by a local linear program"),
                 "proven by the component LP": N_("proven by the component's linear program"),
                 "LPs solved": N_("linear programs solved")}
CELL_KINDS = {"primary": N_("hidden: small or dominated"), "secondary": N_("hidden to protect another cell"),
              "rounded": N_("rounded")}

_NOT_A_REASON = r"(?!(?:rounded|threshold|dominance|p%|zero|full cell|secondary)\b)"
# The reasons the table protection writes per cell (disclosure/tables/reasons.py), as patterns: each is said
# again in the reader's language with its figures kept.
_REASONS: tuple[tuple[str, str], ...] = (
    (r"threshold: (?P<what>[^;]+?) of 1 to the threshold", N_("under the threshold: %(what)s from 1 to the threshold")),
    (r"threshold: 1 to the threshold records or units", N_("under the threshold: 1 to the threshold people")),
    (r"dominance: the two largest units hold (?P<share>\d+)% of (?P<what>[^;]+)",
     N_("one or two people hold %(share)s per cent of %(what)s")),
    (r"p%: the second largest unit could estimate the largest's (?P<what>[^;]+?) within (?P<share>\d+)%",
     N_("the second largest could estimate the largest's %(what)s within %(share)s per cent")),
    (r"zero: a zero is disclosive under this policy", N_("a zero would tell something under this policy")),
    (r"full cell: every record of its line falls in it", N_("everyone in its line is in this cell")),
    (r"secondary: completes the hidden cells of a line", N_("hidden so that the other hidden cells of its line "
                                                            "cannot be worked out")),
    (r"secondary: protects (?P<cells>[^;]+(?:; " + _NOT_A_REASON + r"[^;]+)*)", N_("hidden to protect %(cells)s")),
    (r"rounded records: (?P<a>-?\d+) → (?P<b>-?\d+)", N_("people rounded from %(a)s to %(b)s")),
    (r"rounded (?P<what>[^:;]+): (?P<a>-?\d+) → (?P<b>-?\d+)", N_("%(what)s rounded from %(a)s to %(b)s")),
)
_GROUP = re.compile(r"\(\?P<\w+>")
_PATTERN = re.compile("|".join(f"(?P<r{i}>{_GROUP.sub('(?:', p)})" for i, (p, _) in enumerate(_REASONS)))


def reason(text: str, lang: str) -> str:
    """A cell's reason from the exact file in the reader's language (unknown parts kept as written)."""
    if lang == "en" or not text:
        return text
    _ = gettext_for(lang)

    def said(m: re.Match[str]) -> str:
        pattern, msg = _REASONS[int((m.lastgroup or "r0")[1:])]
        inner = re.fullmatch(pattern, m.group(0))
        return _(msg) % (inner.groupdict() if inner else {})

    return _PATTERN.sub(said, text)


_FLOW_STEP = re.compile(r"^(\d+) (?:excluded: (\w+)|(in source)|(eligible))$")


def flow_step(text: str, lang: str) -> str:
    """A step of the released exclusion_flow.csv ("3 excluded: disclosure_ban_registrar") as the reader's
    language names it, for the airlock's preview; the released file itself keeps its stable ids."""
    from extractor.config.rules import label

    found = _FLOW_STEP.match(text)
    if not found:
        return text
    _ = gettext_for(lang)
    what = label(found.group(2)) if found.group(2) else N_("in the source") if found.group(3) else N_("eligible")
    return f"{found.group(1)} {_(what)}"


def primary_rule(key: str, lang: str) -> str:
    """A primary rule's key ("threshold", "dominance:documents") as the reader's language names it."""
    rule, _, magnitude = key.partition(":")
    said = gettext_for(lang)(PRIMARY_RULES.get(rule, rule))
    return f"{said} ({magnitude})" if magnitude else said


def purpose(name: str) -> str:
    return PURPOSES.get(name, name)


STATUSES = {"submitted": N_("submitted for review"), "approved": N_("approved"), "rejected": N_("rejected"),
            "returned": N_("returned to the requester"), "released": N_("released"), "waiting": N_("waiting to run"),
            "running": N_("running"), "failed": N_("failed"), "ran": N_("ran")}
PROJECT_ROLES = {"requester": N_("requester"), "checker": N_("output checker"), "none": N_("no role")}
DECISIONS = {"approve": N_("approved"), "return": N_("returned"), "reject": N_("rejected")}
AUDIT_ACTIONS = {"store-created": N_("audit log begun"), "account-added": N_("account added"),
                 "account-changed": N_("account changed"), "project-role": N_("project role set"),
                 "release": N_("released"), "review": N_("decision"), "run": N_("run recorded"),
                 "check": N_("output check"), "submission": N_("request handed in"),
                 "submission-claimed": N_("request taken by the runner"),
                 "submission-failed": N_("request failed"), "submission-ran": N_("request ran")}
ROLES = {"person_key": N_("person key"), "document_key": N_("document key"), "document_version": N_("document version"),
         "direct_identifier": N_("direct identifier"), "quasi_identifier": N_("indirect identifier"),
         "sensitive": N_("sensitive"), "date": N_("date"), "free_text": N_("free text"), "registrar": N_("registrar"),
         "service_task": N_("service task"), "social_service": N_("social service"), "structure": N_("structure"),
         "other": N_("other")}
STAGES = {"sources": N_("sources"), "eligibility": N_("eligibility"), "protect": N_("protect"), "query": N_("query"),
          "disclosure": N_("disclosure"), "check": N_("check"), "release": N_("release")}
