#!/bin/sh
# The entrypoint of the tests' postgres:<major> image, doing what the official image's
# docker-entrypoint.sh does where it matters: as root, make PGDATA and the socket folder the postgres
# user's and run again as that user; as that user, initialise an empty PGDATA (refused without
# POSTGRES_PASSWORD unless POSTGRES_HOST_AUTH_METHOD=trust; POSTGRES_USER, POSTGRES_DB and
# POSTGRES_INITDB_ARGS honoured; host connections with the password method, scram-sha-256 from 14 on),
# then exec the command. An existing PGDATA is left as it is.
set -eu

if [ "${1:-}" = postgres ]; then
	mkdir -p "$PGDATA"
	chmod 00700 "$PGDATA" 2>/dev/null || :
	mkdir -p /var/run/postgresql 2>/dev/null || :
	chmod 03775 /var/run/postgresql 2>/dev/null || :
	if [ "$(id -u)" = 0 ]; then
		chown -R postgres:postgres "$PGDATA" /var/run/postgresql
		exec setpriv --reuid=postgres --regid=postgres --init-groups "$0" "$@"
	fi
	if [ ! -s "$PGDATA/PG_VERSION" ]; then
		method="${POSTGRES_HOST_AUTH_METHOD:-}"
		if [ -z "${POSTGRES_PASSWORD:-}" ] && [ "$method" != trust ]; then
			cat >&2 <<-'END'
				Error: Database is uninitialized and superuser password is not specified.
				       You must specify POSTGRES_PASSWORD to a non-empty value for the
				       superuser. For example, "-e POSTGRES_PASSWORD=password" on "docker run".
			END
			exit 1
		fi
		user="${POSTGRES_USER:-postgres}"
		db="${POSTGRES_DB:-$user}"
		pwfile="/tmp/.pwfile.$$"
		printf '%s\n' "${POSTGRES_PASSWORD:-}" > "$pwfile"
		# shellcheck disable=SC2086
		initdb --username="$user" --pwfile="$pwfile" ${POSTGRES_INITDB_ARGS:-}
		rm -f "$pwfile"
		if [ -z "$method" ]; then
			method="$(postgres -C password_encryption -D "$PGDATA")"
			[ "$method" = on ] && method=md5
		fi
		printf '\nhost all all all %s\n' "$method" >> "$PGDATA/pg_hba.conf"
		if [ "$db" != postgres ]; then
			pg_ctl -D "$PGDATA" -o "-c listen_addresses='' -p 5432" -w -s start
			psql -X -q -v ON_ERROR_STOP=1 -U "$user" -d postgres -c "CREATE DATABASE \"$db\""
			pg_ctl -D "$PGDATA" -m fast -w -s stop
		fi
		echo 'PostgreSQL init process complete; ready for start up.'
	fi
fi
exec "$@"
