#!/bin/bash
# Builds the oracle's initramfs for one extracted Debian linux-image package.
# Usage: build_initramfs.sh KROOT OUT.cpio.gz
#   KROOT: the package extracted with dpkg-deb -x (holds boot/ and lib/modules/)
# Contents: busybox-static, tools/qemu_oracle/init as /init, the CXL, nvdimm,
# dax and kmem modules with their dependencies (decompressed; loaded by insmod
# in dependency order from /oracle/modules), and cxl/ndctl/daxctl from the
# host's ndctl package with the shared libraries they need.
set -euo pipefail
kroot=$(realpath "$1")
out=$2
here=$(dirname "$(realpath "$0")")
ver=$(ls "$kroot/lib/modules")
work=$(mktemp -d /tmp/qemu-oracle/initramfs.XXXXXX)
trap 'rm -rf "$work"' EXIT

for tool in busybox cxl ndctl daxctl depmod modprobe cpio; do
  command -v "$tool" >/dev/null || {
    echo "build_initramfs: '$tool' not found (apt-get install busybox-static ndctl daxctl kmod cpio)" >&2
    exit 2
  }
done
file -L "$(command -v busybox)" | grep -q 'statically linked' || {
  echo "build_initramfs: busybox is not static (apt-get install busybox-static)" >&2
  exit 2
}

# A module tree of plain .ko files that depmod and modprobe can resolve.
mods=$work/modtree/lib/modules/$ver
mkdir -p "$mods"
cp -a "$kroot/lib/modules/$ver/kernel" "$mods/"
cp "$kroot/lib/modules/$ver"/modules.{order,builtin}* "$mods/" 2>/dev/null || true
find "$mods" -name '*.ko.xz' -exec xz -d {} +
find "$mods" -name '*.ko.zst' -exec zstd -q -d --rm {} +
sed -i 's/\.ko\.\(xz\|zst\)$/.ko/' "$mods"/modules.order "$mods"/modules.builtin 2>/dev/null || true
depmod -b "$work/modtree" "$ver"

root=$work/root
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,oracle,lib64,lib/x86_64-linux-gnu,usr/bin}
cp "$(command -v busybox)" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
cp "$here/init" "$root/init"
chmod +x "$root/init"

# Modules in load order. The order decides which driver takes which
# memregion id first (docs/driver-chains.md §2.2), so it is fixed here.
wanted="libnvdimm nd_pmem nd_e820 dax_pmem device_dax kmem dax_hmem cxl_acpi cxl_pci cxl_mem cxl_pmem dax_cxl"
: > "$root/oracle/modules"
# dax_cxl exists from 6.3 on; a module the kernel does not have is skipped.
for m in $wanted; do
  deps=$(modprobe -C /dev/null -d "$work/modtree" -S "$ver" --show-depends \
         "$m" 2>/dev/null) || { echo "build_initramfs: no module $m" >&2; continue; }
  echo "$deps" | awk '$1 == "insmod" {print $2}' |
    while read -r path; do
      rel=${path#"$work"/modtree}
      grep -qxF "$rel" "$root/oracle/modules" && continue
      mkdir -p "$root$(dirname "$rel")"
      cp "$path" "$root$rel"
      echo "$rel" >> "$root/oracle/modules"
    done
done

# The ndctl package's tools and their libraries.
for tool in cxl ndctl daxctl; do
  cp "$(command -v $tool)" "$root/usr/bin/"
  for lib in $(ldd "$(command -v $tool)" | awk '/=>/ {print $3} /ld-linux/ {print $1}'); do
    cp -L "$lib" "$root$lib"
  done
done

(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out"
echo "build_initramfs: $out ($(du -h "$out" | cut -f1), $(wc -l < "$root/oracle/modules") modules)"
