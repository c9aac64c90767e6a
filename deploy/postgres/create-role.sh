#!/bin/sh
# The first start of deploy/compose.yaml's db: the role opsbot connects as (OPSBOT_AUDIT_URL), with a password and
# no rights yet. `opsbot audit init-db --role opsbot` (the audit-init service) then grants it SELECT and INSERT on
# the audit tables, nothing else.
set -eu
psql -v ON_ERROR_STOP=1 -v password="$(cat /run/secrets/db-opsbot-password)" \
    --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<'SQL'
CREATE ROLE opsbot LOGIN PASSWORD :'password';
SQL
