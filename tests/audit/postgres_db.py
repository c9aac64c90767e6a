"""A PostgreSQL database of its own for each test of the PostgreSQL audit store: created on the server that
OPSBOT_TEST_POSTGRES_URL names (default: the machine's, user postgres, trust auth), set up by the real
`opsbot audit init-db` code with an application role of its own, and dropped afterwards - so parallel pytest
workers never share one."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass

import psycopg
import pytest
from psycopg import sql

from audit.pg_schema import install

SERVER = os.environ.get("OPSBOT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
PASSWORD = "pg-s3cret-never-shown"  # trust auth ignores it; it must never appear in what opsbot prints or logs


@dataclass(frozen=True)
class AuditDatabase:
    name: str
    role: str
    admin_url: str  # the superuser's: may switch the trigger off, as an attacker with its rights could
    app_url: str  # the application role's, with a password in it


def _url(base: str, user: str, database: str, password: str = "") -> str:
    parts = psycopg.conninfo.conninfo_to_dict(base)
    secret = f":{password}" if password else ""
    return f"postgresql://{user}{secret}@{parts.get('host', '127.0.0.1')}:{parts.get('port', 5432)}/{database}"


def _admin() -> psycopg.Connection:
    try:
        return psycopg.connect(SERVER, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:  # pragma: no cover - environment problem, not a test result
        pytest.fail(f"no PostgreSQL at OPSBOT_TEST_POSTGRES_URL ({exc})", pytrace=False)


@pytest.fixture
def audit_db() -> Iterator[AuditDatabase]:
    suffix = secrets.token_hex(5)
    name, role = f"opsbot_audit_{suffix}", f"opsbot_app_{suffix}"
    with _admin() as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        admin.execute(sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role)))
    superuser = psycopg.conninfo.conninfo_to_dict(SERVER).get("user", "postgres")
    db = AuditDatabase(name, role, _url(SERVER, str(superuser), name), _url(SERVER, role, name, PASSWORD))
    try:
        install(db.admin_url, role)
        yield db
    finally:
        with _admin() as admin:
            admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def as_superuser(db: AuditDatabase, statement: str) -> None:
    """Run `statement` with the trigger switched off for this session: what someone with the superuser's rights
    (or a stolen backup restored by hand) can do, and what verify must catch."""
    with psycopg.connect(db.admin_url, autocommit=True) as conn, conn.transaction():
        conn.execute("SET LOCAL session_replication_role = replica")
        conn.execute(statement.encode())
