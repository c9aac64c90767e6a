"""Which records `opsbot audit tail` shows: by actor, by action (the event, the change's action, or a word of what
happened), by resource (its id or name in the parameters, or in what happened) and by time (`--since 2h`,
`--since 2026-12-01`). The same filter runs over the file in Python and over PostgreSQL as a WHERE clause."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from audit.record import AuditRecord

_AGO = re.compile(r"(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?")
_UNITS = (86_400, 3_600, 60, 1)
SINCE_FORMS = "use an age like 30m, 2h, 7d or 1h30m, or a UTC date like 2026-12-01 or 2026-12-01T14:30"
ACTION_KEYS = ("action",)
RESOURCE_KEYS = ("resource", "resource_id", "resource_name", "destination_id")


def parse_since(text: str, now: float) -> float:
    """The unix time `text` names: an age before `now` ("2h") or a date and time (UTC unless it says otherwise).
    Raises ValueError with one line saying what is accepted."""
    value = text.strip()
    match = _AGO.fullmatch(value.lower())
    if value and match and any(match.groups()):
        return now - sum(int(n) * unit for n, unit in zip(match.groups(), _UNITS, strict=True) if n)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--since '{text}' is not a time: {SINCE_FORMS}") from None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


@dataclass(frozen=True)
class RecordFilter:
    """Every field set must match (unset: anything). Text matches ignore case; `what` matches as a substring."""

    actor: str | None = None
    action: str | None = None
    resource: str | None = None
    since: float | None = None  # unix time: records at or after it

    def matches(self, record: AuditRecord) -> bool:
        if self.actor is not None and record.actor.lower() != self.actor.lower():
            return False
        if self.since is not None and record.at < self.since:
            return False
        if self.action is not None and not _mentions(record, self.action, ACTION_KEYS, record.event.value):
            return False
        return self.resource is None or _mentions(record, self.resource, RESOURCE_KEYS, "")

    def sql(self) -> tuple[str, list[object]]:
        """(a WHERE condition over the opsbot_audit table, its parameters) meaning the same as `matches`."""
        terms: list[str] = ["TRUE"]
        args: list[object] = []
        if self.actor is not None:
            terms.append("lower(actor) = lower(%s)")
            args.append(self.actor)
        if self.since is not None:
            terms.append("at >= %s")
            args.append(self.since)
        if self.action is not None:
            terms.append(f"(lower(event) = lower(%s) OR {_SQL_MENTIONS})")
            args += [self.action, list(ACTION_KEYS), self.action, _like(self.action)]
        if self.resource is not None:
            terms.append(_SQL_MENTIONS)
            args += [list(RESOURCE_KEYS), self.resource, _like(self.resource)]
        return " AND ".join(terms), args


def _mentions(record: AuditRecord, wanted: str, keys: tuple[str, ...], also: str) -> bool:
    folded = wanted.lower()
    if also.lower() == folded or folded in record.what.lower():
        return True
    return any(str(record.params.get(key, "")).lower() == folded for key in keys if record.params.get(key) is not None)


# A parameter named in the first argument (a list) equal to the second, or `what` containing the third (LIKE).
_SQL_MENTIONS = (
    "(EXISTS (SELECT 1 FROM json_each_text(params) AS p WHERE p.key = ANY(%s) AND lower(p.value) = lower(%s))"
    " OR lower(what) LIKE lower(%s))"
)


def _like(text: str) -> str:
    """`text` anywhere, its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
