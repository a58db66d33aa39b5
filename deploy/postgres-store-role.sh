#!/bin/sh
# First start of the compose PostgreSQL: the store gets a role of its own, owner of its database and
# nothing else. Temporal keeps the superuser (POSTGRES_USER); workers and HTTP servers never see it.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v pw="$STORE_DB_PASSWORD" <<'SQL'
CREATE ROLE incident_store LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD :'pw';
ALTER DATABASE incident_store OWNER TO incident_store;
ALTER SCHEMA public OWNER TO incident_store;
SQL
