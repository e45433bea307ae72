#!/usr/bin/env bash
# bench-plan.sh: the goals of issue #7 ("Foundation"), measured side by side.
#
#   1. speed: on a 10k-VM estate, `migrate plan -o json --inventory FILE`
#      takes no longer than `jq . FILE` (both to /dev/null);
#   2. memory: peak RSS of that migrate plan is at most 10x the file size
#      (/usr/bin/time -v, "Maximum resident set size");
#   3. linear: migrate plan on 100k VMs takes at most 11x its time on 10k.
#
# Times are medians (hyperfine when installed, else a loop of /usr/bin/time).
# Missing tools (jq, time, hyperfine) are installed with apt-get when running
# as root; without them the script says what to install and stops.
#
# Usage: scripts/bench-plan.sh [-r RUNS] [-g]
#   -r RUNS  timed runs per command (default 10; 100k uses RUNS/2, at least 3)
#   -g       also run the Go benchmark BenchmarkLoadPlanValidate (pkg/report)
# Environment: BENCH_DIR (default /tmp/migrate-bench-plan) keeps the binary
# and the generated estates between runs.
#
# Exit status: 0 every goal met, 1 a goal missed, 2 a tool or build failed.
set -euo pipefail

runs=10
gobench=0
while getopts "r:g" opt; do
	case $opt in
	r) runs=$OPTARG ;;
	g) gobench=1 ;;
	*) echo "usage: $0 [-r RUNS] [-g]" >&2; exit 2 ;;
	esac
done

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${BENCH_DIR:-/tmp/migrate-bench-plan}
mkdir -p "$dir"

need() { # need COMMAND PACKAGE [optional]
	command -v "$1" >/dev/null 2>&1 && return 0
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
		echo "installing $2 (for $1)" >&2
		apt-get install -y -qq "$2" >/dev/null 2>&1 ||
			{ apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$2" >/dev/null 2>&1; } || true
	fi
	command -v "$1" >/dev/null 2>&1 && return 0
	[ "${3:-}" = optional ] && return 1
	echo "$0: $1 is missing: apt-get install $2" >&2
	exit 2
}
need jq jq
need /usr/bin/time time
have_hyperfine=0
need hyperfine hyperfine optional && have_hyperfine=1

median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

bin=$dir/migrate
echo "building $bin" >&2
(cd "$root" && go build -o "$bin" ./cmd/migrate) || exit 2
for n in 10000 100000; do
	f=$dir/estate-$n.json
	[ -s "$f" ] || (cd "$root" && go run ./testdata/gen -vms "$n" -seed 1 -o "$f") || exit 2
done

# seconds N CMD...: median wall seconds of N runs of CMD, stdout to /dev/null.
seconds() {
	local n=$1
	shift
	if [ $have_hyperfine = 1 ]; then
		local out=$dir/hyperfine.json
		hyperfine -N -w 1 -r "$n" --output=null --export-json "$out" -- "$*" >/dev/null 2>&1
		jq '.results[0].median' "$out"
	else
		"$@" >/dev/null # warm-up
		for _ in $(seq "$n"); do
			/usr/bin/time -f %e -o "$dir/t" "$@" >/dev/null
			cat "$dir/t"
		done | median
	fi
}

# cpu: mean user+sys seconds of the last hyperfine run ("-" without it).
# On a machine shared with other work, CPU time is steadier than wall time.
cpu() {
	if [ $have_hyperfine = 1 ]; then jq '.results[0].user + .results[0].system' "$dir/hyperfine.json"; else echo 0; fi
}

# rss_kb N CMD...: median peak RSS in KiB of N runs of CMD.
rss_kb() {
	local n=$1
	shift
	for _ in $(seq "$n"); do
		/usr/bin/time -v -o "$dir/v" "$@" >/dev/null
		awk -F': ' '/Maximum resident set size/ {print $2}' "$dir/v"
	done | median
}

f10=$dir/estate-10000.json
f100=$dir/estate-100000.json
r100=$((runs / 2 > 3 ? runs / 2 : 3))
tool=$([ $have_hyperfine = 1 ] && echo "hyperfine $(hyperfine --version | cut -d' ' -f2)" || echo "/usr/bin/time loop")
echo "# $(date -u +%FT%TZ) $(go version | cut -d' ' -f3) $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg); medians of $runs runs ($r100 at 100k) by $tool"

jq10=$(seconds "$runs" jq . "$f10")
mig10=$(seconds "$runs" "$bin" plan -o json --inventory "$f10")
cpu10=$(cpu)
mig100=$(seconds "$r100" "$bin" plan -o json --inventory "$f100")
cpu100=$(cpu)
rss10=$(rss_kb 5 "$bin" plan -o json --inventory "$f10")
rss100=$(rss_kb 3 "$bin" plan -o json --inventory "$f100")
size10=$(stat -c %s "$f10")
size100=$(stat -c %s "$f100")

verdict() { if awk "BEGIN {exit !($1)}"; then echo met; else echo MISSED; fi; }

v1=$(verdict "$mig10 <= $jq10")
v2=$(verdict "$rss10 * 1024 <= 10 * $size10")
v3=$(verdict "$mig100 <= 11 * $mig10")
printf '%-44s %12s %12s %10s  %s\n' "goal" "migrate" "reference" "ratio" "verdict"
printf '%-44s %11.3fs %11.3fs %10.2f  %s\n' "1. plan 10k vs jq . (s, median)" "$mig10" "$jq10" "$(awk "BEGIN{print $mig10/$jq10}")" "$v1"
printf '%-44s %10.1fMB %10.1fMB %10.2f  %s\n' "2. peak RSS 10k vs file size (x <= 10)" "$(awk "BEGIN{print $rss10/1024}")" "$(awk "BEGIN{print $size10/1048576}")" "$(awk "BEGIN{print $rss10*1024/$size10}")" "$v2"
printf '%-44s %11.3fs %11.3fs %10.2f  %s\n' "3. plan 100k vs 10k (x <= 11)" "$mig100" "$mig10" "$(awk "BEGIN{print $mig100/$mig10}")" "$v3"
[ $have_hyperfine = 1 ] && printf '%-44s %11.3fs %11.3fs %10.2f  %s\n' "   (info) CPU user+sys 100k vs 10k (mean)" "$cpu100" "$cpu10" "$(awk "BEGIN{print $cpu100/$cpu10}")" "-"
printf '%-44s %10.1fMB %10.1fMB %10.2f  %s\n' "   (info) peak RSS 100k vs file size" "$(awk "BEGIN{print $rss100/1024}")" "$(awk "BEGIN{print $size100/1048576}")" "$(awk "BEGIN{print $rss100*1024/$size100}")" "-"

if [ $gobench = 1 ]; then
	(cd "$root" && go test -run '^$' -bench 'BenchmarkLoadPlanValidate' -benchmem -count 3 ./pkg/report/)
fi
case "$v1$v2$v3" in *MISSED*) exit 1 ;; esac
