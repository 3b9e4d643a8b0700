"""The one registry of eligibility rules: what the policy can switch, what the ledger counts, their labels.

A policy rule (opt_out, disclosure_ban, …) is what a purpose applies or exempts with a legal reason; it
counts as one or more ledger steps (disclosure_ban counts per scope), in the fixed precedence order of the
exclusion flow. Eligibility, the catalog checks, the review report, the exclusion flow, the per-person
statements and the notices all read their names and labels from here.
"""

from __future__ import annotations

from dataclasses import dataclass

from extractor.i18n import N_


@dataclass(frozen=True)
class PolicyRule:
    id: str
    source: str            # the legal source, as the review report cites it
    label: str             # the review report's label (English)
    needs_register: bool   # a register of people's choices must be catalogued when the rule applies
    catalog_section: str | None = None  # or this section of the catalog


@dataclass(frozen=True)
class Step:
    """One counted step of the exclusion ledger, in precedence order."""

    id: str
    rule: str | None       # the policy rule it belongs to; None: always applied (data quality)
    label: str             # the review report's label
    short: str             # the exclusion-flow chart's label
    choice: dict[str, str] | None = None  # a person's own choice: how their statement names it, fi/sv/en


POLICY_RULES: tuple[PolicyRule, ...] = (
    PolicyRule("opt_out", N_("EU EHDS Regulation 2025/327 Art. 71"), N_("Opt-out from secondary use (EHDS Art. 71)"),
               needs_register=True),
    PolicyRule("research_consent", N_("consent-based purpose (GDPR Art. 6(1)(a), 9(2)(a))"),
               N_("Research consent (opt-in)"), needs_register=True),
    PolicyRule("disclosure_ban", N_("Act 703/2023 on client data in social welfare"),
               N_("Disclosure ban (luovutuskielto, Act 703/2023)"), needs_register=True),
    PolicyRule("retention", N_("Act 703/2023, appendix"), N_("Retention period ended (Act 703/2023 appendix)"),
               needs_register=False, catalog_section="retention"),
    PolicyRule("structure_state", N_("THL Sosmeta structure states"), N_("Document structure removed (Sosmeta state)"),
               needs_register=False, catalog_section="structure_states"),
)

STEPS: tuple[Step, ...] = (
    Step("missing_person_key", None, N_("Record without a person key"), N_("no person key")),
    Step("opt_out", "opt_out", N_("Opt-out from secondary use (EHDS Art. 71)"), N_("opt-out"),
         {"fi": "kielsit toissijaisen käytön", "sv": "du förbjöd sekundär användning",
          "en": "you opted out of secondary use"}),
    Step("research_consent", "research_consent", N_("Research consent (opt-in)"), N_("no consent"),
         {"fi": "et antanut suostumusta", "sv": "du gav inget samtycke", "en": "you did not consent"}),
    Step("disclosure_ban_registrar", "disclosure_ban", N_("Disclosure ban: registrar"), N_("ban: registrar"),
         {"fi": "luovutuskielto (rekisterinpitäjä)", "sv": "förbud mot utlämnande (personuppgiftsansvarig)",
          "en": "disclosure ban (registrar)"}),
    Step("disclosure_ban_service_task", "disclosure_ban", N_("Disclosure ban: service task"),
         N_("ban: service task"),
         {"fi": "luovutuskielto (palvelutehtävä)", "sv": "förbud mot utlämnande (serviceuppgift)",
          "en": "disclosure ban (service task)"}),
    Step("disclosure_ban_document", "disclosure_ban", N_("Disclosure ban: document"), N_("ban: document"),
         {"fi": "luovutuskielto (asiakirja)", "sv": "förbud mot utlämnande (handling)",
          "en": "disclosure ban (document)"}),
    Step("retention", "retention", N_("Retention period ended (Act 703/2023 appendix)"), N_("retention ended")),
    Step("structure_state", "structure_state", N_("Document structure removed (Sosmeta state)"),
         N_("structure removed")),
)

RULES = tuple(r.id for r in POLICY_RULES)             # what a policy may apply or exempt
PRECEDENCE = tuple(s.id for s in STEPS)               # the exclusion ledger's order
CHOICE_STEPS = tuple(s.id for s in STEPS if s.choice)  # left out by the person's own choice
BAN_SCOPES = ("registrar", "service_task", "document")
_BY_ID = {**{r.id: r for r in POLICY_RULES}, **{s.id: s for s in STEPS}}


def policy_rule(rule_id: str) -> PolicyRule:
    return next(r for r in POLICY_RULES if r.id == rule_id)


def step(step_id: str) -> Step:
    return next(s for s in STEPS if s.id == step_id)


def label(rule_or_step: str) -> str:
    """The review report's label of a policy rule or a ledger step (its id if unknown)."""
    found = _BY_ID.get(rule_or_step)
    return found.label if found else rule_or_step


def short_label(step_id: str) -> str:
    found = _BY_ID.get(step_id)
    return found.short if isinstance(found, Step) else step_id


def choice_labels(lang: str) -> dict[str, str]:
    """How a person's statement names each choice that left their data out, in one language."""
    return {s.id: s.choice[lang] for s in STEPS if s.choice}
