#!/bin/bash
# The QEMU + Debian Linux whole-system oracle for `restree apply`
# (docs/qemu-oracle.md).
#
# Usage: tools/qemu_oracle.sh SCRIPT [--config NAME] [--kernel 6.1|6.12]
#                             [--kroot DIR] [--keep DIR] [--restree BIN]
#
# Boots Debian's kernel under qemu-system-x86_64 (q35,cxl=on, TCG, one CPU)
# in configuration NAME (default cxl-1hb-pmem; `--config list` lists them),
# performs each event of SCRIPT in the guest, captures /proc/iomem at boot
# and after every event, then runs `restree apply --base <boot capture>` on
# the script cut after each event and prints the difference per event.
# Exit 0 when every capture equals restree's prediction, 1 on a difference
# or a guest failure, 2 on a usage error.
#
#   --kernel V   6.1 (default: linux-image-6.1.0-*-amd64, the version
#                linux-image-amd64 depends on) or 6.12 (linux-image-6.12-amd64's
#                dependency); fetched with `apt-get download` into
#                /tmp/qemu-oracle/kernels/ on first use and unpacked there.
#   --kroot DIR  use this kernel instead: DIR holds boot/vmlinuz-* and
#                lib/modules/<version>/ (e.g. `make install modules_install
#                INSTALL_PATH=DIR/boot INSTALL_MOD_PATH=DIR` of your own tree).
#   --keep DIR   write the captures into DIR (default: a fresh directory
#                under /tmp/qemu-oracle/runs, removed when everything matches).
#   --restree B  the restree binary (default: built with bazel).
#
# Needs: qemu-system-x86 busybox-static ndctl daxctl kmod cpio (Debian
# packages; `apt-get install` them). Not used by CI: the captures committed
# under tests/oracle/ are replayed by //tests:oracle_replay_test instead.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
work=/tmp/qemu-oracle

usage() {
  sed -n '4,6p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

script="" config=cxl-1hb-pmem kernel=6.1 kroot="" keep="" restree=""
while [ $# -gt 0 ]; do
  case "$1" in
    --config) config=${2:?--config needs a name}; shift 2 ;;
    --kernel) kernel=${2:?--kernel needs 6.1 or 6.12}; shift 2 ;;
    --kroot) kroot=${2:?--kroot needs a directory}; shift 2 ;;
    --keep) keep=${2:?--keep needs a directory}; shift 2 ;;
    --restree) restree=${2:?--restree needs a binary}; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "qemu_oracle: unknown option '$1'" >&2; usage ;;
    *) [ -z "$script" ] || { echo "qemu_oracle: one SCRIPT only" >&2; usage; }
       script=$1; shift ;;
  esac
done
if [ "$config" = list ]; then
  python3 - "$here/qemu_oracle" <<'EOF'
import sys
sys.path.insert(0, sys.argv[1])
import driver
for name, (_, append, memdevs, what) in sorted(driver.CONFIGS.items()):
    print(f"{name:20} {what}")
EOF
  exit 0
fi
[ -n "$script" ] || usage
[ -r "$script" ] || { echo "qemu_oracle: cannot read '$script'" >&2; exit 2; }
for tool in qemu-system-x86_64 busybox cxl ndctl daxctl depmod cpio; do
  command -v "$tool" >/dev/null || {
    echo "qemu_oracle: '$tool' not found; apt-get install qemu-system-x86" \
      "busybox-static ndctl daxctl kmod cpio" >&2
    exit 2
  }
done
mkdir -p "$work/kernels" "$work/build" "$work/runs"

# The kernel: an extracted linux-image package.
if [ -z "$kroot" ]; then
  case "$kernel" in
    6.1) meta=linux-image-amd64 ;;
    6.12) meta=linux-image-6.12-amd64 ;;
    *) echo "qemu_oracle: --kernel must be 6.1 or 6.12" >&2; exit 2 ;;
  esac
  pkg=$(apt-cache depends "$meta" 2>/dev/null |
        awk '/Depends: linux-image-/ {print $2; exit}')
  [ -n "$pkg" ] || {
    echo "qemu_oracle: no $meta in the apt lists (run apt-get update)" >&2
    exit 2
  }
  kroot=$work/kernels/$pkg
  if [ ! -d "$kroot/boot" ]; then
    (cd "$work/kernels" && apt-get download "$pkg" >/dev/null)
    dpkg-deb -x "$work/kernels/${pkg}"_*.deb "$kroot"
  fi
fi
vmlinuz=$(ls "$kroot"/boot/vmlinuz-* 2>/dev/null | head -1)
[ -n "$vmlinuz" ] || { echo "qemu_oracle: no boot/vmlinuz-* in $kroot" >&2; exit 2; }
initrd=$work/build/$(basename "$kroot").cpio.gz
# Rebuilt when the kernel's modules changed too (a patched module put into
# a --kroot tree after an earlier run).
if [ ! -s "$initrd" ] || [ "$here/qemu_oracle/init" -nt "$initrd" ] ||
   [ "$here/qemu_oracle/build_initramfs.sh" -nt "$initrd" ] ||
   [ -n "$(find "$kroot/lib/modules" -newer "$initrd" -print -quit)" ]; then
  "$here/qemu_oracle/build_initramfs.sh" "$kroot" "$initrd" >&2
fi

if [ -z "$restree" ]; then
  (cd "$repo" && bazel build //tools:restree >&2)
  restree=$(cd "$repo" && bazel info bazel-bin 2>/dev/null)/tools/restree
fi

# Kernels after 6.1 need two changes to run CXL under QEMU 7.2 TCG:
# - From 6.3, cxl_pci fails its probe when the device's event interrupts
#   cannot be set up ("Failed to get interrupt for event Info log"), which
#   QEMU 7.2's type-3 device cannot do. Without MSI (pci=nomsi) cxl_pci skips
#   event setup ("No interrupt support, disable event processing").
# - From 6.2, committing a region calls cpu_cache_invalidate_memregion(),
#   which x86 refuses under a hypervisor ("Failed to synchronize CPU cache
#   state", ENXIO). TCG sets the CPUID hypervisor bit unless told not to.
release=$(ls "$kroot/lib/modules" | head -1)
extra=()
if [ "$(printf '%s\n6.2\n' "${release%%[-+]*}" | sort -V | head -1)" = 6.2 ]; then
  extra=(--append pci=nomsi --qemu-arg=-cpu --qemu-arg=qemu64,hypervisor=off)
fi

out=${keep:-$(mktemp -d "$work/runs/$config.XXXXXX")}
rc=0
python3 "$here/qemu_oracle/driver.py" "$script" --config "$config" \
  --kernel-image "$vmlinuz" --initrd "$initrd" "${extra[@]}" \
  --out "$out" || rc=$?
if [ "$rc" = 2 ]; then exit 2; fi
python3 "$here/qemu_oracle/compare.py" "$out" "$restree" || rc=1
if [ "$rc" = 0 ] && [ -z "$keep" ]; then
  rm -rf "$out"
else
  echo "qemu_oracle: captures in $out" >&2
fi
exit "$rc"
