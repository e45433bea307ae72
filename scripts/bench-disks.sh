#!/usr/bin/env bash
# Measures the disk copier against its goals (disks.md) and prints numbers:
#   1. 1 GiB dynamic VHD, half allocated, to raw: ours vs qemu-img convert
#   2. 16 MB/s bandwidth cap over 64 MiB of data: achieved average
#   3. peak RSS copying 1 GiB (/usr/bin/time -v)
#   4. 1 TiB dynamic VHD holding 64 MiB, to raw
# Needs qemu-img and qemu-io (Debian qemu-utils) and GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in qemu-img qemu-io /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "bench-disks: $tool missing (apt-get install qemu-utils time)" >&2; exit 1; }
done
# BENCH_DIR=/dev/shm measures the engines without the disk (tmpfs: no
# writeback, fsync free); the default measures the real file system.
work=$(mktemp -d "${BENCH_DIR:-${TMPDIR:-/tmp}}/bench-disks.XXXXXX")
trap 'rm -rf "$work"' EXIT
go build -o "$work/benchcopy" ./pkg/disks/internal/benchcopy

vhd1g="$work/half.vhd"
qemu-img create -q -f vpc -o subformat=dynamic,force_size=on "$vhd1g" 1G
qemu-io -f vpc -c "write -P 0xab 0 256M" -c "write -P 0xcd 512M 256M" "$vhd1g" >/dev/null

secs() { local s e; s=$(date +%s.%N); "$@" >/dev/null; e=$(date +%s.%N); echo "$e - $s" | bc; }
# median of the numbers on stdin
median() { sort -g | awk '{a[NR]=$1} END {m=int((NR+1)/2); if (NR%2) print a[m]; else printf "%.3f\n", (a[m]+a[m+1])/2}'; }
runs=${BENCH_RUNS:-5}

echo "== 1 GiB dynamic VHD, half allocated, to raw (median of $runs)"
# qemu-img does not fsync; our raw sink does. Both are timed both ways: with
# a final sync (qemu-img then sync; benchcopy fsyncs) and without
# (benchcopy -no-sync). The content hash (SHA-256 of the data, sequential
# by definition) is part of ours and not of qemu-img's.
head -c 32 /dev/urandom >"$work/kek"; chmod 600 "$work/kek"
: >"$work/q" ; : >"$work/qs" ; : >"$work/o" ; : >"$work/os" ; : >"$work/s" ; : >"$work/ss"
for _ in $(seq "$runs"); do
	rm -f "$work/q.raw"; sync
	secs qemu-img convert -f vpc -O raw "$vhd1g" "$work/q.raw" >>"$work/q"
	rm -f "$work/q.raw"; sync
	secs sh -c "qemu-img convert -f vpc -O raw '$vhd1g' '$work/q.raw' && sync '$work/q.raw'" >>"$work/qs"
	rm -f "$work/o.raw"; sync
	secs "$work/benchcopy" -no-sync "$vhd1g" "$work/o.raw" >>"$work/o"
	rm -f "$work/o.raw"; sync
	secs "$work/benchcopy" "$vhd1g" "$work/o.raw" >>"$work/os"
	rm -rf "$work/st"; mkdir "$work/st"; sync
	secs "$work/benchcopy" -no-sync -key-file "$work/kek" "$vhd1g" "staging:$work/st/disk" >>"$work/s"
	rm -rf "$work/st"; mkdir "$work/st"; sync
	secs "$work/benchcopy" -key-file "$work/kek" "$vhd1g" "staging:$work/st/disk" >>"$work/ss"
done
cmp "$work/q.raw" "$work/o.raw" && echo "outputs identical"
echo "without sync: qemu-img convert $(median <"$work/q")s   benchcopy $(median <"$work/o")s   benchcopy to staging (encrypted) $(median <"$work/s")s"
echo "with sync:    qemu-img convert $(median <"$work/qs")s   benchcopy $(median <"$work/os")s   benchcopy to staging (encrypted) $(median <"$work/ss")s"
echo "goals: plain copy <= qemu-img; staging <= 2 x qemu-img's plain time"

echo "== 16 MB/s cap over 64 MiB of data"
cap="$work/cap.vhd"
qemu-img create -q -f vpc -o subformat=dynamic,force_size=on "$cap" 128M
qemu-io -f vpc -c "write -P 0x11 0 64M" "$cap" >/dev/null
"$work/benchcopy" -max-bandwidth 16MB "$cap" "$work/cap.raw" | sed 's/ sha256=.*//'
echo "goal: rate_MBps within 3% of 16.00"

echo "== peak RSS copying 1 GiB"
/usr/bin/time -v "$work/benchcopy" "$vhd1g" "$work/rss.raw" 2>&1 >/dev/null | grep -E 'Maximum resident'
echo "goal: <= 65536 kbytes"

echo "== 1 TiB dynamic VHD holding 64 MiB, to raw"
big="$work/big.vhd"
qemu-img create -q -f vpc -o subformat=dynamic,force_size=on "$big" 1T
qemu-io -f vpc -c "write -P 0x22 0 32M" -c "write -P 0x33 700G 32M" "$big" >/dev/null
t=$(secs "$work/benchcopy" "$big" "$work/big.raw")
echo "1 TiB / 64 MiB copy: ${t}s (goal < 2s)"
