"""The controller's policy: per purpose, which eligibility rules apply, what may be output, and thresholds.

Every rule applies by default. A purpose is exempt from a rule only when the policy names the legal
reason, and the review report shows that reason to the DPO.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from extractor.config.rules import RULES
from extractor.config.toml_fields import Fields, load_toml, plain
from extractor.shipped import shipped

# Eligibility rules in their fixed precedence order (the order of the exclusion flow).
OUTPUT_KINDS = ("aggregate", "table", "pseudonymised_records", "anonymised_records")
ROUNDINGS = ("controlled", "nearest", "midpoint6", "none")
EXTREMES = ("withheld", "top_mean")


@dataclass(frozen=True)
class Disclosure:
    threshold: int = 7  # counts 1..threshold are suppressed (OpenSAFELY: <= 7)
    rounding_base: int = 5  # the rest rounded to the nearest multiple (OpenSAFELY: 5)
    # "controlled": tables with margins are rounded to adjacent multiples so that they still add up
    # (controlled_rounding.py); a figure with no table around it is rounded to the nearest multiple.
    rounding: str = "controlled"
    max_rows: int = 5000  # row cap for an aggregate table (a big "aggregate" is probably microdata)
    max_file_mb: int = 32
    k: int = 5  # record-level outputs: the smallest class (a request may ask for more, never less)
    l: int = 2  # noqa: E741 - distinct l-diversity when a request names sensitive attributes
    suppression_limit: float = 0.01  # share of records that may be suppressed (ARX's default-style limit)
    # Tables built by the extractor (kind "table"): primary rules beyond the threshold, audit width.
    protection_level: int | None = None  # width a hidden count's interval must have (None: the threshold)
    dominance_n: int = 2  # (n,k)-dominance, as sdcTable's defaults
    dominance_k: float = 85.0
    p_percent: float = 10.0  # p% rule, as ACRO/SACRO
    zeros_disclosive: bool = False
    full_cells_disclosive: bool = False
    privacy_budget: float = 1.0  # total epsilon a project may spend on differentially private tables
    # min/max of a magnitude: withheld (a cell's extreme is one unit's own value), or shown as the mean of
    # the extreme_units largest/smallest unit values where the cell has 2 * extreme_units + threshold + 1 units.
    extremes: str = "withheld"
    extreme_units: int = 5
    # privacy = "cell_key" tables: the p-table's largest noise and its variance (ONS's 2021 census tables
    # used noise of up to a few units; ABS's TableBuilder a variance of about 2).
    cell_key_max_noise: int = 3
    cell_key_variance: float = 2.0


@dataclass(frozen=True)
class Purpose:
    name: str
    description: str
    consent_required: bool
    exemptions: dict[str, str]  # rule -> legal reason (as written, else English, else the first given)
    outputs: tuple[str, ...]
    disclosure: Disclosure
    # rule -> the reason per language, when the policy gives it as { fi = …, sv = …, en = … }: the DPO reads it
    # in the report's language
    exemption_texts: dict[str, dict[str, str]] = field(default_factory=dict, hash=False)

    def exemption_in(self, rule: str, lang: str) -> str | None:
        texts = self.exemption_texts.get(rule, {})
        return texts.get(lang) or self.exemptions.get(rule)

    def applies(self, rule: str) -> bool:
        if rule == "research_consent":
            return self.consent_required and rule not in self.exemptions
        return rule not in self.exemptions


@dataclass(frozen=True)
class FreeText:
    """How notes are de-identified beyond the identifiers the recognizers know."""

    unknown_words: str = "redact"  # words no dictionary knows: removed as possible names ("redact") or "keep"
    allow_terms: tuple[str, ...] = ()  # the controller's own terms that are never names (services, places)


@dataclass(frozen=True)
class Policy:
    path: Path
    controller: str
    version: str
    purposes: dict[str, Purpose] = field(default_factory=dict)
    unknown_person: str = "warn"  # a register row naming no one in the data: "warn" the DPO, or "stop" the run
    notice_languages: str = "required"  # a notice field without the reader's language: refuse, or "fallback"
    free_text: FreeText = FreeText()


def default_policy_path() -> Path:
    return shipped("data", "default_policy.toml")


def _share(f: Fields, key: str, default: float, top: float) -> float:
    value = f.data.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= top:
        raise f.error(key, f"a number above 0 and at most {top:g}", value)
    return float(value)


def _disclosure(f: Fields | None, base: Disclosure) -> Disclosure:
    if f is None:
        return base
    f.reject_unknown({"threshold", "rounding_base", "rounding", "max_rows", "max_file_mb", "k", "l",
                      "suppression_limit", "protection_level", "dominance_n", "dominance_k", "p_percent",
                      "zeros_disclosive", "full_cells_disclosive", "privacy_budget", "extremes",
                      "extreme_units", "cell_key_max_noise", "cell_key_variance"})
    limit = f.data.get("suppression_limit", base.suppression_limit)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not 0 <= limit <= 1:
        raise f.error("suppression_limit", "a share between 0 and 1", limit)
    d = Disclosure(
        threshold=f.int("threshold", base.threshold, minimum=0),
        rounding_base=f.int("rounding_base", base.rounding_base, minimum=1),
        rounding=f.str("rounding", base.rounding, choices=ROUNDINGS),
        max_rows=f.int("max_rows", base.max_rows, minimum=1),
        max_file_mb=f.int("max_file_mb", base.max_file_mb, minimum=1),
        k=f.int("k", base.k, minimum=2),
        l=f.int("l", base.l, minimum=1),
        suppression_limit=float(limit),
        protection_level=f.int("protection_level", base.protection_level, minimum=1),
        dominance_n=f.int("dominance_n", base.dominance_n, minimum=1),
        dominance_k=_share(f, "dominance_k", base.dominance_k, 100.0),
        p_percent=_share(f, "p_percent", base.p_percent, 100.0),
        zeros_disclosive=f.bool("zeros_disclosive", base.zeros_disclosive),
        full_cells_disclosive=f.bool("full_cells_disclosive", base.full_cells_disclosive),
        privacy_budget=_share(f, "privacy_budget", base.privacy_budget, 100.0),
        extremes=f.str("extremes", base.extremes, choices=EXTREMES),
        extreme_units=f.int("extreme_units", base.extreme_units, minimum=2),
        cell_key_max_noise=f.int("cell_key_max_noise", base.cell_key_max_noise, minimum=1),
        cell_key_variance=_share(f, "cell_key_variance", base.cell_key_variance, 100.0),
    )
    if d.rounding == "midpoint6" and d.rounding_base != 6:
        raise f.error("rounding_base", "6 when rounding = 'midpoint6'", d.rounding_base)
    return d


def load_policy(path: Path) -> Policy:
    f = load_toml(path, "policy")
    f.reject_unknown({"policy", "disclosure", "purposes", "free_text"})
    head = f.table("policy")
    head.reject_unknown({"controller", "version", "description", "unknown_person", "notice_languages"})
    base = _disclosure(f.table("disclosure", None), Disclosure())
    purposes: dict[str, Purpose] = {}
    pf = f.table("purposes")
    for name in pf.keys():
        p = pf.table(name)
        p.reject_unknown({"description", "consent_required", "exempt", "outputs", "disclosure"})
        exemptions: dict[str, str] = {}
        exemption_texts: dict[str, dict[str, str]] = {}
        ef = p.table("exempt", None)
        for rule in ef.keys() if ef else []:
            if rule not in RULES:
                raise ef.error(rule, "an eligibility rule: " + ", ".join(RULES), rule)
            reason = ef.data[rule]
            texts = {k: v.strip() if isinstance(v, str) else v for k, v in reason.items()} \
                if isinstance(reason, dict) and reason else {"*": reason.strip() if isinstance(reason, str) else ""}
            if set(texts) - {"*", "fi", "sv", "en"} or not all(isinstance(v, str) and len(v) >= 10
                                                                for v in texts.values()):
                raise ef.error(rule, "the legal reason for the exemption (a sentence naming the law), or one per "
                               "language { fi = …, sv = …, en = … }", reason)
            exemptions[rule] = plain(texts)
            exemption_texts[rule] = {k: v for k, v in texts.items() if k != "*"}
        outputs = p.str_list("outputs", ("aggregate",))
        for kind in outputs:
            if kind not in OUTPUT_KINDS:
                raise p.error("outputs", "output kinds among " + ", ".join(OUTPUT_KINDS), kind)
        purposes[name] = Purpose(
            name=name,
            description=p.str("description"),
            consent_required=p.bool("consent_required", False),
            exemptions=exemptions,
            exemption_texts=exemption_texts,
            outputs=outputs,
            disclosure=_disclosure(p.table("disclosure", None), base),
        )
    if not purposes:
        raise f.error("purposes", "at least one purpose")
    return Policy(path.resolve(), head.str("controller"), head.str("version"), purposes,
                  head.str("unknown_person", "warn", choices=("warn", "stop")),
                  head.str("notice_languages", "required", choices=("required", "fallback")),
                  _free_text(f.table("free_text", None)))


def _free_text(f: Fields | None) -> FreeText:
    if f is None:
        return FreeText()
    f.reject_unknown({"unknown_words", "allow_terms"})
    terms = f.str_list("allow_terms", ())
    for term in terms:
        if not term.strip() or any(c.isspace() for c in term.strip()):
            raise f.error("allow_terms", "single words (a term of several words: list each word)", term)
    return FreeText(f.str("unknown_words", "redact", choices=("redact", "keep")), tuple(t.strip() for t in terms))
