"""`--lang` after the command works as before it, except where the command has a --lang of its own."""

from __future__ import annotations

import subprocess
import sys

import pytest

from extractor.cli_support import lang_first


@pytest.mark.parametrize(("argv", "expected"), [
    (["run", "--lang", "fi", "r.toml"], ["--lang", "fi", "run", "r.toml"]),
    (["run", "r.toml", "--lang=sv"], ["--lang=sv", "run", "r.toml"]),
    (["--lang", "fi", "run", "r.toml"], ["--lang", "fi", "run", "r.toml"]),
    (["--lang", "fi", "run", "--lang", "sv"], ["--lang", "fi", "--lang", "sv", "run"]),  # the last one given wins
    (["deidentify", "n.csv", "--lang", "fi"], ["deidentify", "n.csv", "--lang", "fi"]),  # the notes' language
    (["users", "add", "maija", "--lang", "fi"], ["users", "add", "maija", "--lang", "fi"]),  # the account's
    (["catalog", "show", "--lang", "sv"], ["catalog", "show", "--lang", "sv"]),  # the codebook's
    (["run", "r.toml", "--lang"], ["run", "r.toml", "--lang"]),  # no value: left for the usage error
    (["--version"], ["--version"]),
])
def test_lang_is_moved_before_the_command(argv: list[str], expected: list[str]) -> None:
    assert lang_first(argv) == expected


def test_a_message_after_the_command_is_in_that_language(tmp_path) -> None:
    done = subprocess.run([sys.executable, "-m", "extractor.cli", "run", str(tmp_path / "nothing.toml"),
                           "--lang", "fi"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2 and "No such option" not in done.stderr
    english = subprocess.run([sys.executable, "-m", "extractor.cli", "run", str(tmp_path / "nothing.toml"),
                              "--lang", "en"], capture_output=True, text=True, cwd=tmp_path)
    assert english.returncode == 2 and done.stderr != english.stderr, (done.stderr, english.stderr)
