#!/bin/sh
# Writes a C program that prints, for every IORESOURCE_* / IORES_* name in a
# kernel's include/linux/ioport.h, its value and C type, and the layout of
# struct resource:
#
#   gen_ioport_check.sh IOPORT_H > ioport_check.c
#
# The program includes <linux/ioport.h>; BUILD.bazel compiles it once against
# the kernel's header and once against the shim's, and ioport_check_test
# compares the two outputs.
set -eu
header=$1
p() { printf '%s\n' "$*"; }  # dash's echo would expand a \n

echo '#include <stddef.h>'
echo '#include <stdio.h>'
if [ ! -s "$header" ]; then  # third_party/kernel_source.bzl found no kernel
  p 'int main(void) { fputs("no kernel source: run tools/install_deps.sh\n", stderr); return 1; }'
  exit 0
fi
echo '#include <linux/ioport.h>'
echo '#define T(x) _Generic((x), int: "int", unsigned: "unsigned", long: "long", unsigned long: "unsigned long", long long: "long long", unsigned long long: "unsigned long long", default: "other")'
echo 'int main(void) {'
p '  printf("sizeof(struct resource)=%zu\n", sizeof(struct resource));'
for f in start end name flags desc parent sibling child; do
  p "  printf(\"offsetof($f)=%zu\\n\", offsetof(struct resource, $f));"
done
# Function-like macros (DEFINE_RES_*) are not values.
grep -oE '\b(IORESOURCE|IORES)_[A-Z0-9_]+\b' "$header" | sort -u |
  grep -vE '^(DEFINE_RES|IORESOURCE_IRQ_OPTIONAL_DUMMY)' |
  while read -r n; do
    case "$n" in
      IORES_DESC_*|IORES_MAP_*)  # enum members: present in both
        p "  printf(\"$n=%lld %s\\n\", (long long)($n), T($n));" ;;
      *)
        echo "#ifdef $n"
        p "  printf(\"$n=%lld %s\\n\", (long long)($n), T($n));"
        echo "#else"
        p "  printf(\"$n=MISSING\\n\");"
        echo "#endif" ;;
    esac
  done
echo '  return 0;'
echo '}'
