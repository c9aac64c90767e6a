"""The PostgreSQL audit's tables, as SQL the operator runs once (`opsbot audit init-db`, or `--print` for psql):
the records (`opsbot_audit`), the signed checkpoints (`opsbot_audit_checkpoints`), a trigger that refuses UPDATE,
DELETE and TRUNCATE on both to every role, and the grants of the application's role: SELECT and INSERT, nothing
else. Run it as a role that is not the application's: whoever owns the tables can drop the trigger."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from core.errors import OpsbotError

if TYPE_CHECKING:
    import psycopg

TABLE = "opsbot_audit"
CHECKPOINTS = "opsbot_audit_checkpoints"
LOCK_KEY = 0x6F7073626F745F61  # "opsbot_a": the advisory lock every writer of this database's chain takes
COLUMNS = 'seq, at, event, actor, "where", what, params, outcome, prev_hash, hash'
INSERT = f"INSERT INTO {TABLE} ({COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"  # noqa: S608 - constants
SELECT = f"SELECT {COLUMNS} FROM {TABLE}"  # noqa: S608 - constants
ROLE_NAME = re.compile(r"[a-z_][a-z0-9_$]{0,62}")

_TRIGGERS = """
DROP TRIGGER IF EXISTS append_only ON {table};
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION opsbot_audit_append_only();
DROP TRIGGER IF EXISTS no_truncate ON {table};
CREATE TRIGGER no_truncate BEFORE TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION opsbot_audit_append_only();
"""

SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    seq bigint PRIMARY KEY CHECK (seq > 0),
    at double precision NOT NULL,
    event text NOT NULL,
    actor text NOT NULL,
    "where" text NOT NULL,
    what text NOT NULL,
    params json NOT NULL,
    outcome text NOT NULL,
    prev_hash text NOT NULL,
    hash text NOT NULL
);
CREATE INDEX IF NOT EXISTS {TABLE}_at ON {TABLE} (at);
CREATE INDEX IF NOT EXISTS {TABLE}_actor ON {TABLE} (lower(actor), seq);

CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (
    seq bigint PRIMARY KEY,
    hash text NOT NULL,
    at double precision NOT NULL,
    hmac text NOT NULL
);

CREATE OR REPLACE FUNCTION opsbot_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the opsbot audit is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END
$$;

{{triggers}}

REVOKE ALL ON {TABLE}, {CHECKPOINTS} FROM PUBLIC;
""".replace("{triggers}", "".join(_TRIGGERS.format(table=table) for table in (TABLE, CHECKPOINTS)).strip())


def grants(role: str) -> str:
    """What the application's role may do: read and add records and checkpoints. Raises ValueError for a name
    that is not a plain role name (it is written into SQL)."""
    if not ROLE_NAME.fullmatch(role):
        raise ValueError(f"'{role}' is not a plain role name (lower-case letters, digits, _)")
    return f"""
GRANT USAGE ON SCHEMA public TO {role};
GRANT SELECT, INSERT ON {TABLE}, {CHECKPOINTS} TO {role};
REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {TABLE}, {CHECKPOINTS} FROM {role};
"""


def script(role: str | None) -> str:
    """The whole set-up: the schema, then the grants of `role` when one is named."""
    return SCHEMA + (grants(role) if role else "")


def install(url: str, role: str | None) -> list[str]:
    """Run `script(role)` at `url` (an administrator's connection, not the application's) in one transaction;
    returns what was done, one line each. Raises OpsbotError in one line when it must not be done."""
    import psycopg

    from audit.pg_link import Link, cause

    try:
        with Link(url).get() as conn, conn.transaction():
            if role is not None:
                _check_role(conn, role)
            conn.execute(script(role).encode())
    except psycopg.Error as exc:
        raise OpsbotError(f"init-db failed ({cause(exc, url)}): nothing changed") from exc
    done = [f"tables {TABLE} and {CHECKPOINTS} ready, UPDATE, DELETE and TRUNCATE refused by a trigger"]
    if role is not None:
        done.append(f"role {role} may SELECT and INSERT, nothing else")
    return done


def _check_role(conn: psycopg.Connection, role: str) -> None:
    found = conn.execute("SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = %s", (role,)).fetchone()
    if found is None:
        raise OpsbotError(f"role {role} does not exist: create it first (CREATE ROLE {role} LOGIN PASSWORD ...)")
    superuser, is_me = found
    if is_me:
        raise OpsbotError(f"run init-db as another role than {role}: whoever owns the tables can drop the trigger")
    if superuser:
        raise OpsbotError(f"role {role} is a superuser: no grant or trigger binds it; use a plain role")
