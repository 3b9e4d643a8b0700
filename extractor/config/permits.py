"""The controller's record of data permits, against which the runner checks a request handed in.

A request's dates decide who is left out (an opt-out counts for permits granted on or after it; bans and
retention are judged on the as-of date), so a requester must not choose them: the permit's grant date,
project, purposes and (where the permit fixes one) the data's as-of date come from this file, which the
controller keeps:

    [permits."PERMIT-2026-0042"]
    project = "disability-services-study"
    granted_on = 2026-06-01
    purposes = ["research"]
    as_of = 2026-10-31          # optional: else any date from the grant to today
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from extractor.config.request import Request
from extractor.config.toml_fields import load_toml
from extractor.errors import ConfigError


@dataclass(frozen=True)
class Permit:
    id: str
    project: str
    granted_on: dt.date
    purposes: tuple[str, ...]
    as_of: dt.date | None = None


@dataclass(frozen=True)
class Permits:
    path: Path
    permits: dict[str, Permit] = field(default_factory=dict)

    def check(self, request: Request, project: str) -> None:
        """Refuse a request whose permit, project, purpose or dates differ from the controller's record."""
        rp = request.path.name
        permit = self.permits.get(request.permit_id)
        if permit is None:
            raise ConfigError(rp, "request.permit.id", "a permit the controller has recorded for the airlock",
                              request.permit_id)
        if permit.project != project:
            raise ConfigError(rp, "request.project", f"'{permit.project}' (the project of permit {permit.id})",
                              project)
        if request.purpose not in permit.purposes:
            raise ConfigError(rp, "request.purpose", f"one of {', '.join(permit.purposes)} (permit {permit.id})",
                              request.purpose)
        if request.permit_granted_on != permit.granted_on:
            raise ConfigError(rp, "request.permit.granted_on", f"{permit.granted_on} (the controller's record of "
                              f"permit {permit.id})", str(request.permit_granted_on))
        if permit.as_of is not None and request.as_of != permit.as_of:
            raise ConfigError(rp, "request.as_of", f"{permit.as_of} (the data date permit {permit.id} fixes)",
                              str(request.as_of))
        if request.as_of < permit.granted_on:
            raise ConfigError(rp, "request.as_of", f"a date on or after the permit's grant ({permit.granted_on})",
                              str(request.as_of))


def load_permits(path: Path) -> Permits:
    f = load_toml(path, "permits")
    f.reject_unknown({"permits"})
    pf = f.table("permits")
    found = {}
    for pid in pf.keys():
        p = pf.table(pid)
        p.reject_unknown({"project", "granted_on", "purposes", "as_of"})
        found[pid] = Permit(pid, p.str("project"), p.date("granted_on"), tuple(p.str_list("purposes")),
                            p.date("as_of") if "as_of" in p.data else None)
    if not found:
        raise pf.error("", "at least one [permits.\"ID\"] table")
    return Permits(path, found)
