#!/usr/bin/env bash
# The disk engine against qemu-img convert, in the same run (issue 12):
# CPU time (user+sys, the steady measure on a shared machine) and peak RSS
# of each copy, as medians of BENCH_RUNS rounds, for
#   - 1 GiB and 4 GiB dynamic VHDs, half full (two runs each of 1/4 size),
#   - a 16 GiB sparse disk with 64 KiB in every 4 MiB chunk, and the
#     256 MiB contiguous disk with the same data,
#   - a 1 TiB dynamic VHD holding 64 MiB,
# each copied plain (to raw) and to an encrypted staging image, with the
# default SHA-256 tree content hash and with --hash blake3 (blake3-tree-4m),
# next to qemu-img convert -O raw of the same file. It also checks the outputs are
# byte-identical to qemu-img's and that the bytes read from the source are
# exactly the allocated bytes.
#
#   BENCH_DIR=/dev/shm scripts/bench-disks.sh   # tmpfs: no writeback
#   scripts/bench-disks.sh                      # the repository's file system
#
# Our copies run without fsync (-no-sync) as qemu-img does not fsync. Needs
# qemu-img and qemu-io (Debian qemu-utils) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in qemu-img qemu-io /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench-disks: $tool missing (apt-get install qemu-utils time)" >&2; exit 1; }
done
base=${BENCH_DIR:-$PWD}
work=$(mktemp -d "$base/bench-disks.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/benchcopy" ./pkg/disks/internal/benchcopy
runs=${BENCH_RUNS:-5}
head -c 32 /dev/urandom >"$work/kek"; chmod 600 "$work/kek"
echo "# $(date -u +%FT%TZ) $(uname -m) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), dir $base, $runs rounds"

median() { sort -g | awk '{a[NR]=$1} END {m=int((NR+1)/2); if (NR%2) print a[m]; else printf "%.3f\n", (a[m]+a[m+1])/2}'; }
# measure OUT CMD...: appends "cpu_seconds peak_rss_kib" to OUT.
measure() {
	local out=$1; shift
	/usr/bin/time -f '%U %S %M' -o "$work/t" "$@" >"$work/last" 2>/dev/null
	awk '{printf "%.3f %d\n", $1+$2, $3}' "$work/t" >>"$out"
}

# case NAME SRC FORMAT: qemu-img, plain and staging, BENCH_RUNS rounds.
bench_case() {
	local name=$1 src=$2 fmt=$3
	: >"$work/q"; : >"$work/p"; : >"$work/s"; : >"$work/pb"; : >"$work/sb"
	for _ in $(seq "$runs"); do
		rm -f "$work/q.raw"
		measure "$work/q" qemu-img convert -f "$fmt" -O raw "$src" "$work/q.raw"
		rm -f "$work/o.raw"
		measure "$work/p" "$work/benchcopy" -no-sync "$src" "$work/o.raw"
		plain=$(cat "$work/last")
		rm -rf "$work/st"; mkdir "$work/st"
		measure "$work/s" "$work/benchcopy" -no-sync -key-file "$work/kek" "$src" "staging:$work/st/disk"
		rm -f "$work/o.raw"
		measure "$work/pb" "$work/benchcopy" -no-sync -hash blake3-tree-4m "$src" "$work/o.raw"
		rm -rf "$work/st"; mkdir "$work/st"
		measure "$work/sb" "$work/benchcopy" -no-sync -hash blake3-tree-4m -key-file "$work/kek" "$src" "staging:$work/st/disk"
	done
	# qemu-img compare follows the holes (SEEK_DATA); cmp would read 1 TiB.
	qemu-img compare -q -f raw -F raw "$work/q.raw" "$work/o.raw" && same=identical || same=DIFFERENT
	local alloc read
	alloc=$(sed -n 's/.*allocated=\([0-9]*\).*/\1/p' <<<"$plain")
	read=$(sed -n 's/.* read=\([0-9]*\).*/\1/p' <<<"$plain")
	local qc pc sc qm pm sm pbc sbc pbm sbm
	qc=$(cut -d' ' -f1 "$work/q" | median); qm=$(cut -d' ' -f2 "$work/q" | median)
	pc=$(cut -d' ' -f1 "$work/p" | median); pm=$(cut -d' ' -f2 "$work/p" | median)
	sc=$(cut -d' ' -f1 "$work/s" | median); sm=$(cut -d' ' -f2 "$work/s" | median)
	pbc=$(cut -d' ' -f1 "$work/pb" | median); pbm=$(cut -d' ' -f2 "$work/pb" | median)
	sbc=$(cut -d' ' -f1 "$work/sb" | median); sbm=$(cut -d' ' -f2 "$work/sb" | median)
	printf '| %s | %.3f | %.3f (%.2fx) | %.3f (%.2fx) | %.3f (%.2fx) | %.3f (%.2fx) | %d / %d / %d / %d / %d | %s | %s |\n' "$name" "$qc" "$pc" \
		"$(echo "$pc / $qc" | bc -l)" "$sc" "$(echo "$sc / $qc" | bc -l)" \
		"$pbc" "$(echo "$pbc / $qc" | bc -l)" "$sbc" "$(echo "$sbc / $qc" | bc -l)" \
		$((qm / 1024)) $((pm / 1024)) $((sm / 1024)) $((pbm / 1024)) $((sbm / 1024)) "$([ "$alloc" = "$read" ] && echo "= $((read >> 20)) MiB" || echo "read $read of $alloc")" "$same"
	echo "$name $pc $sc" >>"$work/summary"
}

echo "| disk | qemu-img CPU s | plain CPU s (x qemu) | staging CPU s (x qemu) | plain blake3 CPU s (x qemu) | staging blake3 CPU s (x qemu) | peak RSS MiB qemu / plain / staging / plain b3 / staging b3 | bytes read = allocated | output vs qemu-img |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"

for g in 1 4; do
	v="$work/half$g.vhd"
	qemu-img create -q -f vpc -o subformat=dynamic,force_size=on "$v" "${g}G"
	q=$((g * 256))
	qemu-io -f vpc -c "write -P 0xab 0 ${q}M" -c "write -P 0xcd $((2 * q))M ${q}M" "$v" >/dev/null
	bench_case "${g} GiB dynamic VHD, half full" "$v" vpc
	rm -f "$v"
done

# 64 KiB of data at the start of every 4 MiB chunk of 16 GiB, and the same
# 256 MiB of data contiguous: raw sparse files (SEEK_DATA finds the data).
sc="$work/scattered.raw"; ct="$work/contig.raw"
truncate -s 16G "$sc"; truncate -s 256M "$ct"
python3 - "$sc" "$ct" <<'PY'
import os, sys
blk = bytes((i * 7 + 1) % 255 + 1 for i in range(65536))
with open(sys.argv[1], 'r+b') as s, open(sys.argv[2], 'r+b') as c:
    for i in range(4096):
        s.seek(i << 22); s.write(blk)
        c.seek(i << 16); c.write(blk)
PY
bench_case "16 GiB, 64 KiB in every 4 MiB chunk" "$sc" raw
bench_case "256 MiB contiguous, the same data" "$ct" raw
rm -f "$sc" "$ct"

big="$work/big.vhd"
qemu-img create -q -f vpc -o subformat=dynamic,force_size=on "$big" 1T
qemu-io -f vpc -c "write -P 0x22 0 32M" -c "write -P 0x33 700G 32M" "$big" >/dev/null
bench_case "1 TiB dynamic VHD, 64 MiB of data" "$big" vpc

awk '/^16 GiB/ {sp=$(NF-1); ss=$NF} /^256 MiB/ {cp=$(NF-1); cs=$NF}
	END {printf "\nscattered 16 GiB vs 256 MiB contiguous: plain %.2fx, staging %.2fx (goal <= 1.5x)\n", sp/cp, ss/cs}' "$work/summary"
echo "goals: plain <= 1.3x qemu-img CPU, staging <= 2.0x, peak RSS <= 64 MiB, bytes read = allocated"
