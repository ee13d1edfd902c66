"""The audit log: every moderation and administration action, who did it and to what.

Entries are written in the same transaction as the action they describe, so the log never
claims something that did not happen, nor misses something that did."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Engine, insert, select

from healthqa.store.models import AuditEntry


@dataclass(frozen=True)
class Actor:
    """Who acts: an account, a person without one (the asker, through the private link), or the
    command line."""

    id: int | None
    label: str


ASKER = Actor(None, "asker (private link)")


@dataclass(frozen=True)
class Entry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    target_id: str
    detail: str


def record(
    conn: Connection, actor: Actor, action: str, target: str, target_id: object, detail: str = ""
) -> None:
    conn.execute(
        insert(AuditEntry).values(
            actor_id=actor.id,
            actor=actor.label,
            action=action,
            target=target,
            target_id=str(target_id),
            detail=detail[:2_000],
        )
    )


def read(
    engine: Engine, limit: int = 100, offset: int = 0, action: str | None = None
) -> list[Entry]:
    """The newest entries first."""
    query = select(
        AuditEntry.id,
        AuditEntry.at,
        AuditEntry.actor,
        AuditEntry.action,
        AuditEntry.target,
        AuditEntry.target_id,
        AuditEntry.detail,
    ).order_by(AuditEntry.id.desc())
    if action:
        query = query.where(AuditEntry.action == action)
    with engine.connect() as conn:
        return [Entry(*row) for row in conn.execute(query.limit(limit).offset(offset))]
