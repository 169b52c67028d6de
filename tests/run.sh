#!/usr/bin/env bash
# tests/run.sh - run every test and end with "N passed, N failed".
# Each test prints lines "ok - what", "not ok - what", "skip - what";
# a test program that exits non-zero without a "not ok" line counts as
# one failure.  Usage: tests/run.sh [pattern]
set -u
cd "$(dirname "$0")/.."
: "${NYM_BIN:=$PWD/bin}" "${NYM_UNITS:=$PWD/build/rel/tests}"
export NYM_BIN NYM_UNITS
pat=${1:-}
pass=0 fail=0 skip=0
log=$(mktemp /tmp/nymtest.XXXXXX)
trap 'rm -f "$log"' EXIT
# NYM_STORE=postgresql: every test's state in a fresh database of one
# private cluster (tests/lib.sh's setup_state), started here.
if [ "${NYM_STORE:-lmdb}" = postgresql ]; then
	. tests/pglib.sh
	pgdir=$(mktemp -d /tmp/nympg.XXXXXX)
	trap 'pg_stop "$pgdir"; rm -rf "$pgdir" "$log"' EXIT
	pg_start "$pgdir" || { echo "not ok - the suite's PostgreSQL"; exit 1; }
	export NYM_STORE NYM_PG_SOCK
	echo "# store = postgresql (cluster in $pgdir)"
fi

run_one() {
	local name=$1; shift
	local start=$SECONDS rc p f s
	"$@" >"$log" 2>&1 </dev/null
	rc=$?
	p=$(grep -c '^ok ' "$log")
	f=$(grep -c '^not ok ' "$log")
	s=$(grep -c '^skip ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited $rc" >>"$log"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	printf '%-28s %3d ok %3d failed %3d skipped (%ds)\n' "$name" "$p" "$f" \
	    "$s" $((SECONDS - start))
	if [ "$f" -gt 0 ]; then
		grep -v '^ok ' "$log" | sed 's/^/    /' | head -60
	fi
	grep '^skip ' "$log" | sed 's/^/    /'
}

for t in "$NYM_UNITS"/test_*; do
	[ -x "$t" ] || continue
	case "$(basename "$t")" in *"$pat"*) ;; *) continue ;; esac
	run_one "$(basename "$t")" "$t"
done
for t in tests/e2e/*.sh; do
	case "$(basename "$t")" in *"$pat"*) ;; *) continue ;; esac
	run_one "$(basename "$t" .sh)" bash "$t"
done
if [ "$skip" -gt 0 ]; then
	echo "$pass passed, $fail failed, $skip skipped"
else
	echo "$pass passed, $fail failed"
fi
[ "$fail" -eq 0 ]
