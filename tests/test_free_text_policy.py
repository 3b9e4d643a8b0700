"""The policy's [free_text] table: the second line of defence on or off, and the controller's own terms."""

from __future__ import annotations

from pathlib import Path

import pytest

from extractor.config.policy import FreeText, default_policy_path, load_policy
from extractor.errors import ConfigError


def _policy(tmp_path: Path, free_text: str) -> Path:
    text = default_policy_path().read_text(encoding="utf-8")
    start = text.index("[free_text]")
    end = text.index("[disclosure]")
    path = tmp_path / "policy.toml"
    path.write_text(text[:start] + free_text + "\n" + text[end:], encoding="utf-8")
    return path


def test_the_default_policy_redacts_unknown_words() -> None:
    assert load_policy(default_policy_path()).free_text == FreeText("redact", ())


def test_terms_and_keep_are_read(tmp_path: Path) -> None:
    policy = load_policy(_policy(tmp_path, '[free_text]\nunknown_words = "keep"\nallow_terms = ["Ohjaamo", "Vamos"]'))
    assert policy.free_text == FreeText("keep", ("Ohjaamo", "Vamos"))


@pytest.mark.parametrize(("table", "message"), [
    ('[free_text]\nunknown_words = "maybe"', "free_text.unknown_words: expected one of 'redact', 'keep'"),
    ('[free_text]\nallow_terms = ["two words"]', "free_text.allow_terms: expected single words"),
    ('[free_text]\nallow_term = ["Ohjaamo"]', "allow_term"),
])
def test_bad_values_are_one_line(tmp_path: Path, table: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_policy(_policy(tmp_path, table))
