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
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Connection, func, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import IntegrityError

from ..errors import InputError, StoreError
from ..identity import Recipient, normalize_email
from ..interfaces import JSONObject
from ..issue import Issued, SigningKey, issue_credential, issuer_identity, new_credential_id
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

__all__ = ["DEFAULT_STATUS", "Issuance", "Registry"]

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
        entry = catalog.achievement(achievement_id)
        org = catalog.organization(entry.issuer)
        if issuer_id is not None and issuer_id != org.id:
            raise InputError(
                f"{entry.id!r} is issued by {org.id!r}, not {issuer_id!r}",
                hint=f"badge issue --issuer {org.id} --achievement {entry.id} ...",
            )
        if entry.status != "active":
            raise InputError(f"{entry.id!r} is {entry.status} and cannot be issued yet")
        resolve_levels(entry, levels)  # refuse a level below the required one before reserving indexes
        if valid_until is not None and valid_until <= now:
            raise InputError("validUntil must be later than the issuance time")
        method = self._status_method(status, org.base_url)
        base = require_base_url(org) if method is not StatusDialect.NONE else ""
        if natural_key is not None:
            existing = self.find(natural_key=natural_key)
            if existing is not None:
                return Issuance(existing, created=False)
        identity = issuer_identity(org, key)
        credential_id = new_credential_id(org)
        indexes: tuple[StatusIndex, ...] = ()
        entries: list[JSONObject] = []
        if method is StatusDialect.BITSTRING:
            with self._db.write() as conn:
                indexes = reserve(conn, org.id, credential_id, now, (StatusPurpose.REVOCATION,))
            entries.extend(bitstring_entry(base, i.list_name, i.purpose.value, i.index) for i in indexes)
        elif method is StatusDialect.REVOCATION_LIST:
            entries.append(revocation_list_entry(base))
        issued = issue_credential(
            catalog,
            entry.id,
            recipient,
            key,
            issuer_id=org.id,
            fmt=fmt,
            now=now,
            credential_id=credential_id,
            valid_until=valid_until,
            levels=levels,
            evidence=evidence,
            narrative=narrative,
            credits_earned=credits_earned,
            credential_status=entries,
            loader=loader,
        )
        record = CredentialRecord(
            id=issued.id,
            issuer_id=org.id,
            issuer_did=identity.id,
            achievement_id=entry.id,
            recipient_hash=self.recipient_hash(recipient),
            recipient_email=recipient.email if store_email else None,
            format=issued.format,
            issued_at=now,
            valid_until=valid_until,
            state=CredentialState.ACTIVE,
            state_reason=None,
            state_changed_at=None,
            natural_key=natural_key,
            locale=locale,
            status_method=method,
            status_indexes=indexes,
            document=issued.document,
        )
        try:
            with self._db.write() as conn:
                conn.execute(
                    credentials_table.insert().values(
                        id=record.id,
                        issuer_id=record.issuer_id,
                        issuer_did=record.issuer_did,
                        achievement_id=record.achievement_id,
                        recipient_hash=record.recipient_hash,
                        recipient_email=record.recipient_email,
                        format=record.format,
                        issued_at=record.issued_at,
                        valid_until=record.valid_until,
                        state=record.state.value,
                        natural_key=record.natural_key,
                        locale=record.locale,
                        status_method=record.status_method.value,
                        document=record.document,
                    )
                )
                self._audit(conn, record.id, AuditAction.ISSUE, actor, now, None)
        except StoreError as exc:
            if natural_key is not None and isinstance(exc.__cause__, IntegrityError):
                existing = self.find(natural_key=natural_key)
                if existing is not None:  # another process recorded the same award first
                    return Issuance(existing, created=False)
            raise
        log.info("recorded credential %s (%s for issuer %s)", record.id, record.achievement_id, record.issuer_id)
        return Issuance(record, created=True)

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
