"""Status-list index allocation, and the snapshot an issuer publishes.

Each issuer has numbered lists per purpose (``revocation-1``, ``revocation-2``, …) of
:data:`~openbadge_ctq.status_publish.STATUS_LIST_SIZE` entries. A credential gets one random index in the newest
list of each purpose it needs (OB 3.0 credentials: revocation only, as they carry one ``credentialStatus``; the
data model also holds ``suspension`` lists for credentials that may carry several entries).

Allocation is atomic without locks: ``INSERT … ON CONFLICT DO NOTHING`` on the unique key ``(issuer, list,
purpose, index)`` either claims the slot (one row inserted) or tells us another transaction has it (none
inserted), and we draw again. Indexes are drawn with :mod:`secrets`, so they say nothing about issue order, and
are never reused, not even when the issuance that reserved them did not finish. When random draws keep colliding
(a crowded list) we choose among the free indexes; a full list opens the next one.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Connection, Table, and_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..status_publish import STATUS_LIST_SIZE, SUSPENDED_REASON, RevokedItem, StatusListContent
from .models import CredentialState, StatusDialect, StatusIndex, StatusPurpose
from .schema import credentials_table, status_indexes_table, status_lists_table

__all__ = ["StatusSnapshot", "reserve", "snapshot"]

_RANDOM_PROBES: Final = 16


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """What an issuer publishes: its Bitstring Status Lists and the entries of its 1EdTech Revocation List."""

    lists: tuple[StatusListContent, ...]
    revoked: tuple[RevokedItem, ...]


def _insert_ignore(conn: Connection, table: Table, values: Mapping[str, Any]) -> bool:
    """Insert a row unless it conflicts with a unique key; True when the row was inserted.

    ``RETURNING`` says whether it was (rowcount is not reliable for INSERT with every driver).
    """
    insert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    first = next(iter(values))
    statement = insert(table).values(**values).on_conflict_do_nothing().returning(table.c[first])
    return conn.execute(statement).first() is not None


def _open_list(conn: Connection, issuer_id: str, purpose: StatusPurpose, seq: int, now: datetime) -> None:
    _insert_ignore(
        conn,
        status_lists_table,
        {
            "issuer_id": issuer_id,
            "name": f"{purpose.value}-{seq}",
            "purpose": purpose.value,
            "seq": seq,
            "size": STATUS_LIST_SIZE,
            "created_at": now,
        },
    )


def _newest_list(conn: Connection, issuer_id: str, purpose: StatusPurpose, now: datetime) -> tuple[str, int, int]:
    lists = status_lists_table.c
    query = (
        select(lists.name, lists.seq, lists.size)
        .where(lists.issuer_id == issuer_id, lists.purpose == purpose.value)
        .order_by(lists.seq.desc())
        .limit(1)
    )
    row = conn.execute(query).first()
    if row is None:
        _open_list(conn, issuer_id, purpose, 1, now)
        row = conn.execute(query).one()
    return str(row.name), int(row.seq), int(row.size)


def _allocate(
    conn: Connection, issuer_id: str, purpose: StatusPurpose, credential_id: str, now: datetime
) -> StatusIndex:
    def claim(list_name: str, index: int) -> StatusIndex | None:
        values = {
            "issuer_id": issuer_id,
            "list_name": list_name,
            "purpose": purpose.value,
            "idx": index,
            "credential_id": credential_id,
            "reserved_at": now,
        }
        if _insert_ignore(conn, status_indexes_table, values):
            return StatusIndex(list_name=list_name, purpose=purpose, index=index)
        return None

    slots = status_indexes_table.c
    while True:
        name, seq, size = _newest_list(conn, issuer_id, purpose, now)
        for _ in range(_RANDOM_PROBES):
            claimed = claim(name, secrets.randbelow(size))
            if claimed is not None:
                return claimed
        used = set(
            conn.scalars(
                select(slots.idx).where(
                    slots.issuer_id == issuer_id, slots.list_name == name, slots.purpose == purpose.value
                )
            )
        )
        free = [i for i in range(size) if i not in used]
        if not free:
            _open_list(conn, issuer_id, purpose, seq + 1, now)
            continue
        claimed = claim(name, free[secrets.randbelow(len(free))])
        if claimed is not None:
            return claimed


def reserve(
    conn: Connection,
    issuer_id: str,
    credential_id: str,
    now: datetime,
    purposes: Sequence[StatusPurpose] = (StatusPurpose.REVOCATION,),
) -> tuple[StatusIndex, ...]:
    """Claim one index per purpose for ``credential_id``, inside the caller's transaction."""
    return tuple(_allocate(conn, issuer_id, purpose, credential_id, now) for purpose in purposes)


def snapshot(conn: Connection, issuer_id: str) -> StatusSnapshot:
    """The issuer's lists with the bits of revoked (revocation lists) and suspended (suspension lists) credentials
    set, and its 1EdTech Revocation List: the revoked (with their reason) and suspended ("Suspended") credentials
    that carry a ``1EdTechRevocationList`` entry (the list names no Bitstring credential: they chose herd privacy)."""
    lists_c, slots, creds = status_lists_table.c, status_indexes_table.c, credentials_table.c
    lists = conn.execute(
        select(lists_c.name, lists_c.purpose, lists_c.size)
        .where(lists_c.issuer_id == issuer_id)
        .order_by(lists_c.purpose, lists_c.seq)
    ).all()
    flagged = conn.execute(
        select(slots.list_name, slots.idx)
        .join(credentials_table, creds.id == slots.credential_id)
        .where(
            slots.issuer_id == issuer_id,
            or_(
                and_(slots.purpose == StatusPurpose.REVOCATION.value, creds.state == CredentialState.REVOKED.value),
                and_(slots.purpose == StatusPurpose.SUSPENSION.value, creds.state == CredentialState.SUSPENDED.value),
            ),
        )
    ).all()
    listed = conn.execute(
        select(creds.id, creds.state, creds.state_reason)
        .where(
            creds.issuer_id == issuer_id,
            creds.status_method == StatusDialect.REVOCATION_LIST.value,
            creds.state.in_([CredentialState.REVOKED.value, CredentialState.SUSPENDED.value]),
        )
        .order_by(creds.id)
    ).all()
    bits: dict[str, set[int]] = {str(row.name): set() for row in lists}
    for row in flagged:
        bits.setdefault(str(row.list_name), set()).add(int(row.idx))
    return StatusSnapshot(
        lists=tuple(
            StatusListContent(
                name=str(row.name),
                purpose=str(row.purpose),
                size=int(row.size),
                set_indexes=frozenset(bits[str(row.name)]),
            )
            for row in lists
        ),
        revoked=tuple(
            RevokedItem(
                credential_id=str(row.id),
                reason=row.state_reason if row.state == CredentialState.REVOKED.value else SUSPENDED_REASON,
            )
            for row in listed
        ),
    )
