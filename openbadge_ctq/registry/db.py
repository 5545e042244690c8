"""The issuance registry: every credential issued, its status-list indexes, its state, and an audit log.

An edge of the library, like ``store``: it owns a database (SQLite by default, PostgreSQL by URL; see
:mod:`.schema`) and sits on top of the ``issue`` use case.

Issuing is three steps, so that no lock is held while signing: (1) a short transaction reserves random status
indexes (:mod:`.status_alloc`), (2) the credential is signed with those entries, (3) one transaction records the
credential and its ``issue`` audit line. A process killed between (1) and (3) leaves only reserved indexes that no
credential uses; they are never handed out again. Revoking, suspending and reinstating are one transaction each
(the state change and its audit line).
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError

from ..errors import InputError, StoreError
from ..identity import Recipient, normalize_email
from ..interfaces import JSONObject
from ..issue import FORMATS, Issued, SigningKey, issue_credential, issuer_identity, new_credential_id
from ..jsonld import DEFAULT_LOADER, ContextLoader
from ..model import Catalog
from ..ob3 import Evidence, resolve_levels
from ..status_publish import bitstring_entry, require_base_url, revocation_list_entry
from .models import (
    AuditAction,
    AuditEvent,
    CredentialRecord,
    CredentialState,
    StatusDialect,
    StatusIndex,
    StatusPurpose,
)
from .schema import Database, audit_table, credentials_table, default_url, status_indexes_table
from .status_alloc import StatusSnapshot, reserve, snapshot

__all__ = ["DEFAULT_STATUS", "IssuePlan", "Issuance", "Registry", "sign_plan"]

log = logging.getLogger(__name__)

DEFAULT_STATUS: Final = StatusDialect.REVOCATION_LIST
"""The status of credentials of an issuer with a ``baseUrl``: OB 3.0's own method, which can also suspend."""
_MAX_REASON: Final = 500
_CHUNK: Final = 500


@dataclass(frozen=True, slots=True)
class Issuance:
    """The outcome of :meth:`Registry.issue`: the record, and whether it was issued now (False: the natural key
    was already recorded and nothing new was issued)."""

    record: CredentialRecord
    created: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class IssuePlan:
    """An issuance checked and decided, before its signature: see :meth:`Registry.plan`, :meth:`Registry.reserve`,
    :func:`sign_plan` and :meth:`Registry.record` (the steps of :meth:`Registry.issue`)."""

    achievement_id: str
    issuer_id: str
    issuer_did: str
    credential_id: str
    recipient: Recipient
    recipient_hash: str
    fmt: str
    status_method: StatusDialect
    status_base: str
    status_entries: tuple[JSONObject, ...] = ()
    status_indexes: tuple[StatusIndex, ...] = ()
    natural_key: str | None = None
    store_email: bool = False
    locale: str | None = None
    valid_until: datetime | None = None
    levels: Mapping[str, str] | str | None = None
    evidence: tuple[Evidence, ...] = ()
    narrative: str | None = None
    credits_earned: float | None = None


def sign_plan(
    plan: IssuePlan, catalog: Catalog, key: SigningKey, *, now: datetime, loader: ContextLoader = DEFAULT_LOADER
) -> Issued:
    """Sign a planned (and reserved) issuance. Pure: no database access, so it can run in a worker process."""
    return issue_credential(
        catalog,
        plan.achievement_id,
        plan.recipient,
        key,
        issuer_id=plan.issuer_id,
        fmt=plan.fmt,
        now=now,
        credential_id=plan.credential_id,
        valid_until=plan.valid_until,
        levels=plan.levels,
        evidence=plan.evidence,
        narrative=plan.narrative,
        credits_earned=plan.credits_earned,
        credential_status=plan.status_entries,
        loader=loader,
    )


def _record_of(plan: IssuePlan, document: str, now: datetime) -> CredentialRecord:
    return CredentialRecord(
        id=plan.credential_id,
        issuer_id=plan.issuer_id,
        issuer_did=plan.issuer_did,
        achievement_id=plan.achievement_id,
        recipient_hash=plan.recipient_hash,
        recipient_email=plan.recipient.email if plan.store_email else None,
        format=plan.fmt,
        issued_at=now,
        valid_until=plan.valid_until,
        state=CredentialState.ACTIVE,
        state_reason=None,
        state_changed_at=None,
        natural_key=plan.natural_key,
        locale=plan.locale,
        status_method=plan.status_method,
        status_indexes=plan.status_indexes,
        document=document,
    )


def _reason(reason: str | None, *, required: bool, what: str) -> str | None:
    if reason is None or not reason.strip():
        if required:
            raise InputError(f"a {what} needs a reason", hint="--reason 'why', e.g. 'issued in error'")
        return None
    value = " ".join(reason.split())
    if len(value) > _MAX_REASON or any(ord(c) < 32 for c in value):
        raise InputError(f"a {what} reason must be at most {_MAX_REASON} printable characters")
    return value


def _actor(actor: str) -> str:
    value = actor.strip() if isinstance(actor, str) else ""
    if not value or len(value) > 200 or any(ord(c) < 32 for c in value):
        raise InputError("the actor must be 1 to 200 printable characters (who is doing this)")
    return value


class Registry:
    """The issuance registry at a database URL.

    ``Registry("sqlite:///path/registry.sqlite")`` or ``Registry("postgresql://user:pw@host/db")`` (driver
    psycopg 3). Opening it brings an empty or older database up to the current schema (``migrate=False`` refuses
    a database that is not current instead). Use it as a context manager, or call :meth:`close`.

    Every write is one transaction. Time (``now``) and the acting person (``actor``) are always passed in.
    """

    def __init__(self, url: str | URL, *, migrate: bool = True) -> None:
        self._db = Database(url)
        try:
            if migrate:
                self._db.migrate()
            else:
                self._db.check_current()
            self._secret = self._db.secret()
        except BaseException:
            self._db.dispose()
            raise

    @classmethod
    def at_home(cls, home: Path, *, migrate: bool = True) -> Registry:
        """The default registry: ``<home>/registry.sqlite`` (folder mode 0700, file mode 0600)."""
        return cls(default_url(home), migrate=migrate)

    @property
    def url(self) -> str:
        """The database URL with any password hidden."""
        return self._db.display_url

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._db.dialect

    def schema_revision(self) -> str | None:
        return self._db.revision()

    def close(self) -> None:
        self._db.dispose()

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Registry({self.url!r})"

    # -- hashing ---------------------------------------------------------------------------------------------

    def _hmac(self, data: str) -> str:
        return "hmac-sha256$" + hmac.new(self._secret, data.encode("utf-8"), hashlib.sha256).hexdigest()

    def recipient_hash(self, recipient: str | Recipient) -> str:
        """The registry's hash of a recipient: HMAC-SHA256 of the normalised email (or the DID)."""
        if isinstance(recipient, Recipient):
            if recipient.email:
                return self._hmac("email:" + recipient.email)
            assert recipient.did is not None
            return self._hmac("did:" + recipient.did)
        value = recipient.strip()
        if value.startswith("did:"):
            return self._hmac("did:" + value)
        return self._hmac("email:" + normalize_email(value))

    def natural_key(
        self, *, issuer_id: str, recipient: str | Recipient, achievement_id: str, evidence_url: str | None
    ) -> str:
        """The idempotency key of an award: issuer + recipient + achievement + evidence URL, hashed (HMAC)."""
        payload = json.dumps(
            [issuer_id, self.recipient_hash(recipient), achievement_id, (evidence_url or "").strip()],
            separators=(",", ":"),
        )
        return self._hmac("natural:" + payload)

    # -- issuing ---------------------------------------------------------------------------------------------

    def issue_function(self, actor: str, **defaults: Any) -> Callable[..., Issued]:
        """A function with :func:`~openbadge_ctq.issue.issue_credential`'s signature that records what it issues.

        For code that takes an ``issue`` callable (the micro-credential workflow): each call goes through
        :meth:`issue` with ``actor`` and ``defaults`` (e.g. ``status=``), and returns an ``Issued``.
        """

        def issue(
            catalog: Catalog,
            achievement_id: str,
            recipient: Recipient,
            key: SigningKey,
            *,
            now: datetime,
            credential_id: str | None = None,
            **options: Any,
        ) -> Issued:
            if credential_id is not None:
                raise InputError("the registry chooses credential ids; credential_id cannot be given")
            record = self.issue(
                catalog, achievement_id, recipient, key, now=now, actor=actor, **{**defaults, **options}
            ).record
            return Issued(id=record.id, format=record.format, credential=record.credential, document=record.document)

        return issue

    def issue(
        self,
        catalog: Catalog,
        achievement_id: str,
        recipient: Recipient,
        key: SigningKey,
        *,
        now: datetime,
        actor: str,
        issuer_id: str | None = None,
        fmt: str = "ob3-di",
        status: StatusDialect | str | None = None,
        natural_key: str | None = None,
        store_email: bool = False,
        locale: str | None = None,
        valid_until: datetime | None = None,
        levels: Mapping[str, str] | str | None = None,
        evidence: Sequence[Evidence] = (),
        narrative: str | None = None,
        credits_earned: float | None = None,
        loader: ContextLoader = DEFAULT_LOADER,
    ) -> Issuance:
        """Issue a credential (see :func:`openbadge_ctq.issue.issue_credential`) and record it.

        Args:
            status: the one ``credentialStatus`` to embed (OB 3.0 allows one): ``1edtech`` (revocation and
                suspension), ``bitstring`` (revocation only) or ``none``. Default: ``1edtech`` when the issuer has a
                ``baseUrl``, ``none`` otherwise (an issuer that publishes nothing cannot publish status lists).
            natural_key: makes the call idempotent (see :meth:`natural_key`): when a credential with this key is
                already recorded, nothing is issued and that record comes back with ``created=False``.
            store_email: keep the recipient's email in plaintext in the registry (it is always kept hashed).
            actor: who issues, for the audit log.

        Raises:
            InputError, CatalogError, KeyMaterialError: as ``issue_credential``; InputError when status is asked
            for an issuer without a ``baseUrl``. StoreError: the database failed.
        """
        actor = _actor(actor)
        plan = self.plan(
            catalog,
            achievement_id,
            recipient,
            key,
            now=now,
            issuer_id=issuer_id,
            fmt=fmt,
            status=status,
            natural_key=natural_key,
            store_email=store_email,
            locale=locale,
            valid_until=valid_until,
            levels=levels,
            evidence=evidence,
            narrative=narrative,
            credits_earned=credits_earned,
        )
        if natural_key is not None:
            existing = self.find(natural_key=natural_key)
            if existing is not None:
                return Issuance(existing, created=False)
        (plan,) = self.reserve([plan], now=now)
        issued = sign_plan(plan, catalog, key, now=now, loader=loader)
        (issuance,) = self.record([(plan, issued.document)], actor=actor, now=now)
        return issuance

    # The three steps of :meth:`issue`, for callers that issue many credentials (bulk issuing signs in worker
    # processes and records a chunk of credentials per transaction).

    def plan(
        self,
        catalog: Catalog,
        achievement_id: str,
        recipient: Recipient,
        key: SigningKey,
        *,
        now: datetime,
        issuer_id: str | None = None,
        fmt: str = "ob3-di",
        status: StatusDialect | str | None = None,
        natural_key: str | None = None,
        store_email: bool = False,
        locale: str | None = None,
        valid_until: datetime | None = None,
        levels: Mapping[str, str] | str | None = None,
        evidence: Sequence[Evidence] = (),
        narrative: str | None = None,
        credits_earned: float | None = None,
    ) -> IssuePlan:
        """Check an issuance and decide everything but the signature (no database write). Raises as :meth:`issue`."""
        entry = catalog.achievement(achievement_id)
        org = catalog.organization(entry.issuer)
        if issuer_id is not None and issuer_id != org.id:
            raise InputError(
                f"{entry.id!r} is issued by {org.id!r}, not {issuer_id!r}",
                hint=f"badge issue --issuer {org.id} --achievement {entry.id} ...",
            )
        if entry.status != "active":
            raise InputError(f"{entry.id!r} is {entry.status} and cannot be issued yet")
        if fmt not in FORMATS:
            raise InputError(f"format {fmt!r} is not one of {', '.join(FORMATS)}")
        resolve_levels(entry, levels)  # refuse a level below the required one before reserving indexes
        if valid_until is not None and valid_until <= now:
            raise InputError("validUntil must be later than the issuance time")
        method = self._status_method(status, org.base_url)
        base = require_base_url(org) if method is not StatusDialect.NONE else ""
        identity = issuer_identity(org, key)
        entries: tuple[JSONObject, ...] = ()
        if method is StatusDialect.REVOCATION_LIST:
            entries = (revocation_list_entry(base),)
        return IssuePlan(
            achievement_id=entry.id,
            issuer_id=org.id,
            issuer_did=identity.id,
            credential_id=new_credential_id(org),
            recipient=recipient,
            recipient_hash=self.recipient_hash(recipient),
            fmt=fmt,
            status_method=method,
            status_base=base,
            status_entries=entries,
            natural_key=natural_key,
            store_email=store_email,
            locale=locale,
            valid_until=valid_until,
            levels=levels,
            evidence=tuple(evidence),
            narrative=narrative,
            credits_earned=credits_earned,
        )

    def reserve(self, plans: Sequence[IssuePlan], *, now: datetime) -> builtins.list[IssuePlan]:
        """Reserve the Bitstring Status List indexes of ``plans`` in one transaction; the plans with their entries.

        An index reserved here belongs to its credential id for good: if the credential is never recorded (the
        signing failed, the process died), the index stays unused and is never handed out again.
        """
        wanted = [p for p in plans if p.status_method is StatusDialect.BITSTRING]
        if not wanted:
            return list(plans)
        reserved: dict[str, tuple[StatusIndex, ...]] = {}
        with self._db.write() as conn:
            for p in wanted:
                reserved[p.credential_id] = reserve(
                    conn, p.issuer_id, p.credential_id, now, (StatusPurpose.REVOCATION,)
                )
        out: builtins.list[IssuePlan] = []
        for p in plans:
            indexes = reserved.get(p.credential_id)
            if indexes is not None:
                entries = tuple(bitstring_entry(p.status_base, i.list_name, i.purpose.value, i.index) for i in indexes)
                p = replace(p, status_indexes=indexes, status_entries=entries)
            out.append(p)
        return out

    def record(self, signed: Sequence[tuple[IssuePlan, str]], *, actor: str, now: datetime) -> builtins.list[Issuance]:
        """Record signed credentials (plan, document) and their ``issue`` audit lines in one transaction.

        When a natural key is already recorded (another process recorded the same award first), the chunk is
        recorded one credential at a time and that award comes back as the existing record with ``created=False``.
        """
        actor = _actor(actor)
        records = [_record_of(plan, document, now) for plan, document in signed]
        if not records:
            return []
        try:
            with self._db.write() as conn:
                self._insert(conn, records, actor, now)
        except StoreError as exc:
            if not isinstance(exc.__cause__, IntegrityError) or not any(r.natural_key for r in records):
                raise
            return [self._record_one(r, actor, now) for r in records]
        for r in records:
            log.info("recorded credential %s (%s for issuer %s)", r.id, r.achievement_id, r.issuer_id)
        return [Issuance(r, created=True) for r in records]

    def _record_one(self, record: CredentialRecord, actor: str, now: datetime) -> Issuance:
        try:
            with self._db.write() as conn:
                self._insert(conn, [record], actor, now)
        except StoreError as exc:
            if record.natural_key is not None and isinstance(exc.__cause__, IntegrityError):
                existing = self.find(natural_key=record.natural_key)
                if existing is not None:  # another process recorded the same award first
                    return Issuance(existing, created=False)
            raise
        log.info("recorded credential %s (%s for issuer %s)", record.id, record.achievement_id, record.issuer_id)
        return Issuance(record, created=True)

    def _insert(self, conn: Connection, records: Sequence[CredentialRecord], actor: str, now: datetime) -> None:
        conn.execute(
            credentials_table.insert(),
            [
                {
                    "id": r.id,
                    "issuer_id": r.issuer_id,
                    "issuer_did": r.issuer_did,
                    "achievement_id": r.achievement_id,
                    "recipient_hash": r.recipient_hash,
                    "recipient_email": r.recipient_email,
                    "format": r.format,
                    "issued_at": r.issued_at,
                    "valid_until": r.valid_until,
                    "state": r.state.value,
                    "natural_key": r.natural_key,
                    "locale": r.locale,
                    "status_method": r.status_method.value,
                    "document": r.document,
                }
                for r in records
            ],
        )
        conn.execute(
            audit_table.insert(),
            [
                {"credential_id": r.id, "action": AuditAction.ISSUE.value, "actor": actor, "at": now, "reason": None}
                for r in records
            ],
        )

    @staticmethod
    def _status_method(status: StatusDialect | str | None, base_url: str | None) -> StatusDialect:
        if status is None:
            return DEFAULT_STATUS if base_url else StatusDialect.NONE
        try:
            return StatusDialect(status)
        except ValueError:
            raise InputError(f"status {status!r} is not one of {', '.join(d.value for d in StatusDialect)}") from None

    # -- reading ---------------------------------------------------------------------------------------------

    def _records(self, conn: Connection, rows: Sequence[Any]) -> list[CredentialRecord]:
        ids = [str(r.id) for r in rows]
        slots: dict[str, list[StatusIndex]] = {cid: [] for cid in ids}
        c = status_indexes_table.c
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            query = (
                select(c.credential_id, c.list_name, c.purpose, c.idx)
                .where(c.credential_id.in_(chunk))
                .order_by(c.credential_id, c.purpose)
            )
            for s in conn.execute(query):
                slots[str(s.credential_id)].append(
                    StatusIndex(list_name=str(s.list_name), purpose=StatusPurpose(s.purpose), index=int(s.idx))
                )
        return [
            CredentialRecord(
                id=str(r.id),
                issuer_id=str(r.issuer_id),
                issuer_did=str(r.issuer_did),
                achievement_id=str(r.achievement_id),
                recipient_hash=str(r.recipient_hash),
                recipient_email=r.recipient_email,
                format=str(r.format),
                issued_at=r.issued_at,
                valid_until=r.valid_until,
                state=CredentialState(r.state),
                state_reason=r.state_reason,
                state_changed_at=r.state_changed_at,
                natural_key=r.natural_key,
                locale=r.locale,
                status_method=StatusDialect(r.status_method),
                status_indexes=tuple(sorted(slots[str(r.id)], key=lambda s: s.purpose.value)),
                document=str(r.document),
            )
            for r in rows
        ]

    def find(self, *, credential_id: str | None = None, natural_key: str | None = None) -> CredentialRecord | None:
        """The record with this id or natural key, or None."""
        if (credential_id is None) == (natural_key is None):
            raise TypeError("give exactly one of credential_id and natural_key")
        c = credentials_table.c
        condition = c.id == credential_id if credential_id is not None else c.natural_key == natural_key
        with self._db.read() as conn:
            rows = conn.execute(select(credentials_table).where(condition)).all()
            records = self._records(conn, rows)
        return records[0] if records else None

    def find_many(self, natural_keys: Sequence[str]) -> dict[str, CredentialRecord]:
        """The records of those ``natural_keys`` that are recorded, by natural key."""
        c = credentials_table.c
        out: dict[str, CredentialRecord] = {}
        keys = list(dict.fromkeys(natural_keys))
        with self._db.read() as conn:
            for start in range(0, len(keys), _CHUNK):
                rows = conn.execute(select(credentials_table).where(c.natural_key.in_(keys[start : start + _CHUNK])))
                for record in self._records(conn, rows.all()):
                    if record.natural_key is not None:
                        out[record.natural_key] = record
        return out

    def get(self, credential_id: str) -> CredentialRecord:
        """The record of ``credential_id``. Raises InputError when the registry has no such credential."""
        record = self.find(credential_id=credential_id)
        if record is None:
            raise InputError(
                f"the registry has no credential {credential_id!r}", hint="badge list shows the recorded credentials"
            )
        return record

    def list(
        self,
        *,
        issuer_id: str | None = None,
        achievement_id: str | None = None,
        recipient: str | None = None,
        state: CredentialState | str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int | None = None,
    ) -> list[CredentialRecord]:
        """Recorded credentials, oldest first (in the order they were recorded), filtered.

        ``recipient`` is an email or DID (matched by its hash); ``since`` is inclusive, ``until`` exclusive.
        """
        c = credentials_table.c
        conditions = []
        if issuer_id is not None:
            conditions.append(c.issuer_id == issuer_id)
        if achievement_id is not None:
            conditions.append(c.achievement_id == achievement_id)
        if recipient is not None:
            conditions.append(c.recipient_hash == self.recipient_hash(recipient))
        if state is not None:
            try:
                conditions.append(c.state == CredentialState(state).value)
            except ValueError:
                raise InputError(
                    f"state {state!r} is not one of {', '.join(s.value for s in CredentialState)}"
                ) from None
        if since is not None:
            conditions.append(c.issued_at >= since)
        if until is not None:
            conditions.append(c.issued_at < until)
        a = audit_table.c
        recorded = select(a.seq).where(a.credential_id == c.id, a.action == AuditAction.ISSUE.value).scalar_subquery()
        query = select(credentials_table).where(*conditions).order_by(c.issued_at, recorded, c.id)
        if limit is not None:
            if limit < 0:
                raise InputError(f"limit must be zero or more, found {limit}")
            query = query.limit(limit)
        with self._db.read() as conn:
            return self._records(conn, conn.execute(query).all())

    def count(self, *, issuer_id: str | None = None) -> int:
        c = credentials_table.c
        query = select(func.count()).select_from(credentials_table)
        if issuer_id is not None:
            query = query.where(c.issuer_id == issuer_id)
        with self._db.read() as conn:
            return int(conn.scalar(query) or 0)

    def audit(self, credential_id: str | None = None, *, limit: int | None = None) -> builtins.list[AuditEvent]:
        """The audit log (of one credential, or all), oldest first."""
        a = audit_table.c
        query = select(audit_table).order_by(a.seq)
        if credential_id is not None:
            query = query.where(a.credential_id == credential_id)
        if limit is not None:
            query = query.limit(limit)
        with self._db.read() as conn:
            return [
                AuditEvent(
                    seq=int(r.seq),
                    credential_id=str(r.credential_id),
                    action=AuditAction(r.action),
                    actor=str(r.actor),
                    at=r.at,
                    reason=r.reason,
                )
                for r in conn.execute(query)
            ]

    # -- state changes ---------------------------------------------------------------------------------------

    def revoke(self, credential_id: str, *, reason: str, actor: str, now: datetime) -> CredentialRecord:
        """Revoke for good (the 1EdTech list publishes ``reason``). Revoking a suspended credential is allowed."""
        return self._transition(
            credential_id,
            AuditAction.REVOKE,
            CredentialState.REVOKED,
            _reason(reason, required=True, what="revocation"),
            actor,
            now,
        )

    def suspend(self, credential_id: str, *, reason: str | None = None, actor: str, now: datetime) -> CredentialRecord:
        """Suspend until :meth:`reinstate`. The reason stays in the audit log; lists say only "Suspended"."""
        return self._transition(
            credential_id,
            AuditAction.SUSPEND,
            CredentialState.SUSPENDED,
            _reason(reason, required=False, what="suspension"),
            actor,
            now,
        )

    def reinstate(
        self, credential_id: str, *, reason: str | None = None, actor: str, now: datetime
    ) -> CredentialRecord:
        """Lift a suspension. A revoked credential cannot be reinstated: revocation is final (issue a new one)."""
        return self._transition(
            credential_id,
            AuditAction.REINSTATE,
            CredentialState.ACTIVE,
            _reason(reason, required=False, what="reinstatement"),
            actor,
            now,
        )

    def _transition(
        self,
        credential_id: str,
        action: AuditAction,
        target: CredentialState,
        reason: str | None,
        actor: str,
        now: datetime,
    ) -> CredentialRecord:
        actor = _actor(actor)
        c = credentials_table.c
        with self._db.write() as conn:
            row = conn.execute(select(c.state, c.status_method).where(c.id == credential_id).with_for_update()).first()
            if row is None:
                raise InputError(
                    f"the registry has no credential {credential_id!r}",
                    hint="badge list shows the recorded credentials",
                )
            current = CredentialState(row.state)
            self._check_transition(credential_id, current, action)
            if action is AuditAction.SUSPEND and row.status_method == StatusDialect.BITSTRING.value:
                raise InputError(
                    f"credential {credential_id} carries a Bitstring revocation entry, which cannot express "
                    "suspension (OB 3.0 allows one credentialStatus)",
                    hint="revoke it instead, or issue credentials with --status 1edtech to be able to suspend them",
                )
            conn.execute(
                credentials_table.update()
                .where(c.id == credential_id)
                .values(
                    state=target.value,
                    state_reason=reason if target is not CredentialState.ACTIVE else None,
                    state_changed_at=now,
                )
            )
            self._audit(conn, credential_id, action, actor, now, reason)
        log.info("%s credential %s (by %s)", action.value, credential_id, actor)
        return self.get(credential_id)

    @staticmethod
    def _check_transition(credential_id: str, current: CredentialState, action: AuditAction) -> None:
        if current is CredentialState.REVOKED:
            if action is AuditAction.REVOKE:
                raise InputError(f"credential {credential_id} is already revoked")
            verb = "reinstated" if action is AuditAction.REINSTATE else "suspended"
            raise InputError(
                f"credential {credential_id} is revoked, and revocation is final: it cannot be {verb}",
                hint="issue a new credential if it was revoked in error",
            )
        if action is AuditAction.SUSPEND and current is CredentialState.SUSPENDED:
            raise InputError(f"credential {credential_id} is already suspended")
        if action is AuditAction.REINSTATE and current is not CredentialState.SUSPENDED:
            raise InputError(f"credential {credential_id} is not suspended, so there is nothing to reinstate")

    @staticmethod
    def _audit(
        conn: Connection, credential_id: str, action: AuditAction, actor: str, now: datetime, reason: str | None
    ) -> None:
        conn.execute(
            audit_table.insert().values(
                credential_id=credential_id, action=action.value, actor=actor, at=now, reason=reason
            )
        )

    # -- publishing ------------------------------------------------------------------------------------------

    def status_snapshot(self, issuer_id: str) -> StatusSnapshot:
        """What ``issuer_id`` publishes now: its status lists with the bits of revoked (revocation lists) and
        suspended (suspension lists) credentials set, and its 1EdTech Revocation List entries."""
        with self._db.read() as conn:
            return snapshot(conn, issuer_id)
