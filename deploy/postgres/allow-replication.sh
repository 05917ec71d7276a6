#!/bin/sh
# Runs once, when the primary's data directory is created: the replica may stream from it.
set -eu
echo 'host replication all all scram-sha-256' >> "$PGDATA/pg_hba.conf"
