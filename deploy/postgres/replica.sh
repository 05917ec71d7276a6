#!/bin/sh
# The streaming replica: cloned from the primary on its first start, then a hot standby.
set -eu
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  until pg_isready -h postgres-primary -U "$POSTGRES_USER" -d aforro; do sleep 1; done
  PGPASSWORD="$POSTGRES_PASSWORD" pg_basebackup -h postgres-primary -U "$POSTGRES_USER" -D "$PGDATA" -R -X stream --checkpoint fast
  chmod 0700 "$PGDATA"
fi
exec postgres -c hot_standby=on -c hot_standby_feedback=on
