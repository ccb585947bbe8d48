#!/bin/sh
# Writes a C program that prints, for every IORESOURCE_* / IORES_* name in a
# kernel's include/linux/ioport.h, its value and C type, plus the layout of
# struct resource:
#
#   gen_ioport_check.sh kernel IOPORT_H > check.c   # the kernel's header
#   gen_ioport_check.sh shim   IOPORT_H > check.c   # our shim's, same names
#
# In kernel mode the header's own text is inlined with its <linux/...>
# includes replaced by the shim's core.h (which stands in for bits.h,
# compiler.h, minmax.h and types.h). ioport_check_test compares the outputs.
set -eu
mode=$1
header=$2
p() { printf '%s\n' "$*"; }  # dash's echo would expand a \n

echo '#include <stddef.h>'
echo '#include <stdio.h>'
if [ ! -s "$header" ]; then  # third_party/kernel_source.bzl found no kernel
  p 'int main(void) { fputs("no kernel source: run tools/install_deps.sh\n", stderr); return 1; }'
  exit 0
fi
if [ "$mode" = kernel ]; then
  echo '#include <shim/core.h>'
  sed -e 's|^#include <linux/.*|/* & (the shim core.h stands in) */|' "$header"
else
  echo '#include <linux/ioport.h>'
fi
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
