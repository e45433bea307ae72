#!/usr/bin/env bash
# bench-run.sh: the goal of issue #8 ("Phases"), measured through the CLI.
#
# For each estate size it asks `migrate plan -o json` for the forecast
# (summary.forecast: lowerBound, makespan, parallel) at --sim-latency L and
# --parallel P, then runs `migrate run --yes` on the embedded simulator with
# the same flags in a fresh state directory, MIGRATE_SIM_TIME_SCALE set so
# one simulated operation of L takes REAL seconds, and measures the makespan:
# from the first "Preparing" event to the last "Committed: done" on stderr,
# each line stamped on arrival (perl Time::HiRes), scaled back to simulated
# time. Goal: makespan <= 1.15 x lower bound, forecast within 10% of it.
#
# Usage: scripts/bench-run.sh [-s "VMS..."] [-p P] [-l L] [-r "REAL..."] [-t SECS]
#   -s  estate sizes in VMs for testdata/gen (default "100 1000"; 12 and 87
#       units; 2400 VMs is about 200 units and takes minutes)
#   -p  --parallel (default 4)
#   -l  --sim-latency, simulated (default 10m)
#   -r  real seconds one simulated operation takes, one run per value
#       (default "0.1 1"); the time scale is REAL / L
#   -t  timeout of one run in seconds (default 900); a run that times out
#       is reported as such
# Environment: BENCH_DIR (default /tmp/migrate-bench-run) keeps the binary,
# the estates and the state directories (one per run, kept for inspection).
#
# Exit status: 0 every run met the goal, 1 a run missed it, 2 a tool, build
# or run failed.
set -euo pipefail

sizes="100 1000"
par=4
lat=10m
reals="0.1 1"
tmo=900
while getopts "s:p:l:r:t:" opt; do
	case $opt in
	s) sizes=$OPTARG ;;
	p) par=$OPTARG ;;
	l) lat=$OPTARG ;;
	r) reals=$OPTARG ;;
	t) tmo=$OPTARG ;;
	*) sed -n 14,24p "$0" >&2; exit 2 ;;
	esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${BENCH_DIR:-/tmp/migrate-bench-run}
mkdir -p "$dir"
for t in jq perl timeout; do
	command -v $t >/dev/null || { echo "$0: $t is missing (apt-get install ${t/timeout/coreutils})" >&2; exit 2; }
done

bin=$dir/migrate
echo "building $bin" >&2
(cd "$root" && go build -o "$bin" ./cmd/migrate) || exit 2

# latency in seconds, from a Go duration such as 10m, 90s, 1h
lat_s=$(LAT=$lat perl -e '$_=$ENV{LAT}; my $s=0; while (s/^([\d.]+)(h|ms|m|s)//) { $s += $1 * {h=>3600, m=>60, s=>1, ms=>0.001}->{$2} } die "bad latency\n" if $_ ne ""; print $s')

stamp() { perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } printf "%.6f %s", time, $_'; }

echo "# $(date -u +%FT%TZ) $(go version | cut -d' ' -f3) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); --parallel $par --sim-latency $lat"
printf '%6s %6s %4s %8s %7s %9s %9s %9s %8s %8s %9s %10s %6s\n' \
	vms units par latency real-s bound-s forecast-s makespan-s x-bound x-fcast ovh/op state-MB goal
bad=0
for vms in $sizes; do
	f=$dir/estate-$vms.json
	[ -s "$f" ] || (cd "$root" && go run ./testdata/gen -vms "$vms" -seed 1 -o "$f") || exit 2
	fc=$("$bin" plan -o json --inventory "$f" --sim-latency "$lat" --parallel "$par" | jq -c '[.summary.units, .summary.forecast.lowerBoundSeconds, .summary.forecast.makespanSeconds]')
	units=$(jq '.[0]' <<<"$fc")
	bound=$(jq '.[1]' <<<"$fc")
	fcast=$(jq '.[2]' <<<"$fc")
	for real in $reals; do
		scale=$(awk "BEGIN { printf \"%.10g\", $real / $lat_s }")
		sd=$dir/state-$vms-p$par-r$real
		rm -rf "$sd"
		log=$sd.log
		rc=0
		MIGRATE_SIM_TIME_SCALE=$scale timeout "$tmo" "$bin" run --yes --inventory "$f" --state-dir "$sd" \
			--sim-latency "$lat" --parallel "$par" 2>&1 >/dev/null | stamp >"$log" || rc=$?
		rc=${PIPESTATUS[0]:-$rc}
		done_units=$(grep -c 'Committed: done' "$log" || true)
		state_mb=$(awk "BEGIN { printf \"%.2f\", $(stat -c %s "$sd/sim/state.json" 2>/dev/null || echo 0) / 1048576 }")
		if [ "$done_units" != "$units" ]; then
			printf '%6s %6s %4s %8s %7s %9s %9s %9s %8s %8s %9s %10s %6s\n' \
				"$vms" "$units" "$par" "$lat" "$real" "$bound" "$fcast" "-" "-" "-" "-" "$state_mb" \
				"$([ "$rc" = 124 ] && echo TIMEOUT || echo "FAILED($done_units/$units)")"
			bad=2
			continue
		fi
		real_span=$(awk '/Preparing/ && !s { s = $1 } /Committed: done/ { e = $1 } END { printf "%.6f", e - s }' "$log")
		read -r span xb xf ovh < <(awk -v r="$real_span" -v sc="$scale" -v b="$bound" -v f="$fcast" -v p="$par" -v u="$units" -v real="$real" \
			'BEGIN { m = r / sc; printf "%.0f %.3f %.3f %.0fms\n", m, m / b, f / m, (r - f * sc) * p / u * 1000 / 2 }')
		ok=$(awk -v xb="$xb" -v xf="$xf" 'BEGIN { print (xb <= 1.15 && xf >= 0.9 && xf <= 1.1) ? "met" : "MISSED" }')
		[ "$ok" = met ] || [ $bad = 2 ] || bad=1
		printf '%6s %6s %4s %8s %7s %9s %9s %9s %8s %8s %9s %10s %6s\n' \
			"$vms" "$units" "$par" "$lat" "$real" "$bound" "$fcast" "$span" "$xb" "$xf" "$ovh" "$state_mb" "$ok"
	done
done
cat <<'EOF'
# real-s: real seconds per simulated operation; bound-s, forecast-s, makespan-s: simulated
# seconds (measured real makespan / time scale); x-bound = makespan / bound (goal <= 1.15);
# x-fcast = forecast / makespan (goal 0.9..1.1); ovh/op: real time per operation beyond the
# latency, (real makespan - forecast) x parallel / units / 2 operations; state-MB: the sim's
# state file after the run, read and decoded whole on every sim call.
EOF
exit $bad
