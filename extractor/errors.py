"""The one exception type users see: a single line naming the file, key or row and what was expected."""

from __future__ import annotations

from pathlib import Path


class ExtractorError(Exception):
    """Bad input or a refused operation; the CLI prints it as one line and exits with code 2."""

    # Raised before any record was read (so a requester handing a request in may read it whole)? Errors
    # raised later may carry values from the data and go to the controller only (release/runner.py).
    before_data: bool = False

    def __init__(self, *args: object, before_data: bool | None = None) -> None:
        super().__init__(*args)
        if before_data is not None:
            self.before_data = before_data


class ConfigError(ExtractorError):
    """A configuration value is missing or wrong; names the file and the dotted key."""

    before_data = True  # raised before any record is read: a requester may read it whole

    def __init__(self, path: Path | str, key: str, expected: str, got: object = None) -> None:
        key = "".join(c if c.isprintable() else repr(c)[1:-1] for c in key)  # one line, whatever the key holds
        where = f"{path}: {key}" if key else str(path)
        detail = f"expected {expected}" + ("" if got is None else f", got {_short(got)}")
        super().__init__(f"{where}: {detail}")


class QueryFailed(ExtractorError):
    """The researcher's SQL failed or was refused: the file, its text and the engine's whole message, so the
    pipeline can point at the line and column and say what to change (researcher/sql_errors.py)."""

    def __init__(self, message: str, query_file: object, sql: str, detail: str, table: str | None = None,
                 position: int | None = None, before_data: bool = True) -> None:
        # Parser, binder and catalog errors name only the query's own words; an error while the query runs
        # (a failed cast, error(…)) can carry values from the records.
        super().__init__(message, before_data=before_data)
        self.query_file, self.sql, self.detail, self.table, self.position = query_file, sql, detail, table, position


class RequestMismatch(ExtractorError):
    """The request's keys and the query's columns disagree: the researcher's mistake, not a disclosure refusal."""

    before_data = True  # names only columns


class TooFine(ExtractorError):
    """An output with more rows or cells than the cap: grouped too finely. More persons would add rows, so a
    trial on more dummy persons is no way out; coarser groups are (the message says so)."""


class CheckFailed(ExtractorError):
    """The output checker found something that must not be released."""


def _short(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
