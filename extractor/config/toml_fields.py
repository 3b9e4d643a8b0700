"""Typed access to a parsed TOML table that reports every problem as file + dotted key + expectation."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from extractor.errors import ConfigError
from extractor.sql import NAME_RULE, is_name

_MISSING: Any = object()
_INVISIBLE = re.compile("[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")  # bidi overrides, zero-width


def plain(texts: dict[str, str]) -> str:
    """One string of a text given per language (Fields.text), for reports, logs and the codebook's plain
    field: as written, else English, else the first given; "" when none was given."""
    return texts.get("*") or texts.get("en") or next(iter(texts.values()), "")


def load_toml(path: Path, what: str) -> Fields:
    """Parse a TOML file; a missing file or a syntax error becomes a one-line ConfigError."""
    if not path.is_file():
        raise ConfigError(path, "", f"an existing {what} file (TOML)", "no such file")
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        text = path.read_text(encoding="utf-8", errors="replace")
        place, problem = toml_problem(exc, text)
        raise ConfigError(f"{path}:{place}", "", f"valid TOML ({problem})") from None
    except UnicodeDecodeError:
        raise ConfigError(path, "", "UTF-8 text") from None
    except RecursionError:  # tomllib reads nested arrays and tables by recursion
        raise ConfigError(path, "", "valid TOML (arrays or tables nested a few levels deep at most)") from None
    return Fields(data, path, "")


_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)$")
_DATE_LIKE = re.compile(r"=\s*(\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{4}-\d{1,2}-\d{1,2})\s*(?=[,}\]#]|$)")


def _unreadable_date(line: str) -> bool:
    """Whether the line gives a key a date TOML cannot read: 31.10.2026, 2026-1-5, 2026-13-01."""
    for found in _DATE_LIKE.finditer(line):
        try:
            dt.date.fromisoformat(found.group(1))
        except ValueError:
            return True
    return False


def toml_problem(exc: tomllib.TOMLDecodeError, text: str) -> tuple[str, str]:
    """('LINE:COLUMN', what tomllib says): the place goes first in the message, so a long one never hides it;
    the form a date takes is added where the line holds one TOML cannot read (31.10.2026, 2026-13-31)."""
    message = str(exc).splitlines()[0]
    at = _AT.search(message)
    lines = text.splitlines() or [""]
    line, column = (int(at.group(1)), int(at.group(2))) if at and at.group(1) else (len(lines), len(lines[-1]) + 1)
    what = message[:at.start()] if at else message
    shown = lines[line - 1] if 0 < line <= len(lines) else ""
    hint = "; a date is written 2026-10-31 (a real day), without quotes" if _unreadable_date(shown) else ""
    return f"{line}:{column}", f"{what}{hint}"


class Fields:
    """One TOML table plus where it came from, so errors can say exactly which key is wrong."""

    def __init__(self, data: dict[str, Any], path: Path, prefix: str) -> None:
        self.data, self.path, self.prefix = data, path, prefix

    def key(self, name: str) -> str:
        return f"{self.prefix}.{name}" if self.prefix else name

    def error(self, name: str, expected: str, got: object = None) -> ConfigError:
        return ConfigError(self.path, self.key(name), expected, got)

    def has(self, name: str) -> bool:
        return name in self.data

    def keys(self) -> list[str]:
        return list(self.data)

    def _get(self, name: str, default: Any, expected: str) -> Any:
        if name in self.data:
            return self.data[name]
        if default is _MISSING:
            raise self.error(name, expected, "nothing (the key is missing)")
        return default

    def _visible(self, name: str, *values: object) -> None:
        """Refuse direction overrides and zero-width characters in text a checker or patient reads: they make
        a title or a name read as something else ('fdp.exe' shown as 'exe.pdf')."""
        for value in values:
            hidden = _INVISIBLE.search(value) if isinstance(value, str) else None
            if hidden:
                raise self.error(name, "text without invisible control characters", f"U+{ord(hidden.group()):04X} "
                                 "(a direction override or a zero-width character)")

    def str(self, name: str, default: Any = _MISSING, choices: tuple[str, ...] | None = None) -> Any:
        expected = "one of " + ", ".join(repr(c) for c in choices) if choices else "a non-empty string"
        value = self._get(name, default, expected)
        if value is default and name not in self.data:
            return value
        if not isinstance(value, str) or not value.strip():
            raise self.error(name, expected, value)
        if choices and value not in choices:
            raise self.error(name, expected, value)
        self._visible(name, value)
        return value

    def int(self, name: str, default: Any = _MISSING, minimum: int | None = None) -> Any:
        expected = "an integer" + (f" >= {minimum}" if minimum is not None else "")
        value = self._get(name, default, expected)
        if name not in self.data:
            return value
        if isinstance(value, bool) or not isinstance(value, int) or (minimum is not None and value < minimum):
            raise self.error(name, expected, value)
        return value

    def bool(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default, "true or false")
        if name in self.data and not isinstance(value, bool):
            raise self.error(name, "true or false", value)
        return value

    def date(self, name: str, default: Any = _MISSING) -> Any:
        expected = "a date (YYYY-MM-DD)"
        value = self._get(name, default, expected)
        if name not in self.data:
            return value
        if isinstance(value, dt.datetime):
            return value.date()
        if isinstance(value, dt.date):
            return value
        if isinstance(value, str):
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        raise self.error(name, expected, value)

    def str_list(self, name: str, default: Any = _MISSING) -> Any:
        expected = "a list of strings"
        value = self._get(name, default, expected)
        if name not in self.data:
            return value
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(name, expected, value)
        return tuple(value)

    def names(self, name: str, default: Any = _MISSING) -> Any:
        """A list of table or column names, each following the one name rule (extractor.sql.NAME_RULE)."""
        value = self.str_list(name, default)
        for item in value or ():
            if not is_name(item):
                raise self.error(name, NAME_RULE, item)
        return value

    def name_keys(self) -> list[str]:
        """The keys of this table, when they are names of tables or columns."""
        for key in self.data:
            if not is_name(key):
                raise self.error(key, NAME_RULE, key)
        return list(self.data)

    def text(self, name: str, default: Any = _MISSING) -> dict[str, str] | Any:
        """Text for readers: a string (one language, key "*") or { fi = …, sv = …, en = … }."""
        value = self._get(name, default, "a string or a table { fi = …, sv = …, en = … }")
        if name not in self.data:
            return value
        if isinstance(value, str) and value.strip():
            self._visible(name, value)
            return {"*": value}
        if isinstance(value, dict) and value and set(value) <= {"fi", "sv", "en"} \
                and all(isinstance(v, str) and v.strip() for v in value.values()):
            self._visible(name, *value.values())
            return dict(value)
        raise self.error(name, "a non-empty string or a table { fi = …, sv = …, en = … } of non-empty strings", value)

    def table(self, name: str, default: Any = _MISSING) -> Any:
        value = self._get(name, default, "a table")
        if name not in self.data:
            return value if value is None else Fields(value, self.path, self.key(name))
        if not isinstance(value, dict):
            raise self.error(name, "a table", value)
        return Fields(value, self.path, self.key(name))

    def tables(self, name: str) -> list[Fields]:
        """An array of tables ([[name]])."""
        value = self._get(name, _MISSING, "an array of tables")
        if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
            raise self.error(name, "a non-empty array of tables ([[...]])", value)
        return [Fields(v, self.path, f"{self.key(name)}[{i}]") for i, v in enumerate(value)]

    def path_value(self, name: str, default: Any = _MISSING, must_exist: bool = True) -> Any:
        """A path relative to this file's folder."""
        raw = self.str(name, default)
        if name not in self.data:
            return raw
        resolved = (self.path.parent / raw).resolve()
        if must_exist and not resolved.exists():
            raise self.error(name, "an existing file (relative to this file)", raw)
        return resolved

    def reject_unknown(self, allowed: set[str]) -> None:
        """Typos in a key would otherwise silently switch a rule off."""
        for name in self.data:
            if name not in allowed:
                near = difflib.get_close_matches(name, allowed, n=1, cutoff=0.75)  # expires_on is no 'person'
                raise self.error(name, "a known key" + (f" (did you mean '{near[0]}'?)" if near else "")
                                 + ": " + ", ".join(sorted(allowed)), name)
