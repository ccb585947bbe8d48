#!/usr/bin/env bash
# The HTML map in a real browser: Debian's chromium, headless, loads pages
# `restree map` wrote from local files with ?selftest; the page checks
# itself (every resource hovered at its centre shows its tooltip, a click
# selects, the arrow keys walk the tree; map/html.h) and writes the result
# into the DOM, which --dump-dom prints. Also takes one screenshot.
#
# Needs the `chromium` package (tools/install_deps.sh installs it).
set -euo pipefail

RESTREE="$1"
ORACLE="$2"   # a CXL machine's /proc/iomem
ZEROED="$3"   # an unprivileged reader's dump

CHROMIUM="$(command -v chromium || true)"
if [[ -z "$CHROMIUM" ]]; then
  echo "FAIL: chromium is not installed (tools/install_deps.sh installs it)" >&2
  exit 1
fi

TMP="${TEST_TMPDIR:-$(mktemp -d)}"
export HOME="$TMP"
failures=0

browse() {  # browse PROFILE ARGS... : one fresh headless chromium
  local profile="$TMP/profile-$1"
  shift
  rm -rf "$profile"
  timeout 60 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --window-size=1280,720 "$@" 2>"$TMP/chromium.err"
}

check_page() {  # check_page NAME DUMP EXPECTED_COUNT [restree options...]
  local name="$1" dump="$2" want="$3"
  shift 3
  local html="$TMP/$name.html"
  if ! "$RESTREE" map "$dump" -o "$html" "$@" 2>"$TMP/restree.err"; then
    echo "FAIL $name: restree map failed:"; cat "$TMP/restree.err"
    failures=$((failures + 1)); return
  fi
  local dom
  dom="$(browse "$name" --dump-dom "file://$html?selftest")" || {
    echo "FAIL $name: chromium failed:"; tail -5 "$TMP/chromium.err"
    failures=$((failures + 1)); return
  }
  # The result element, as the page wrote it.
  local result
  result="$(printf '%s\n' "$dom" | sed -n '/<pre id="selftest-result"/,/<\/pre>/p')"
  if [[ "$result" != *'data-status="pass"'* ]]; then
    echo "FAIL $name: self-check did not pass:"; printf '%s\n' "$result" | head -30
    failures=$((failures + 1)); return
  fi
  if [[ "$result" != *">resources $want"$'\n'* ]]; then
    echo "FAIL $name: expected $want resources:"; printf '%s\n' "$result"
    failures=$((failures + 1)); return
  fi
  echo "ok $name: $(printf '%s\n' "$result" | tr '\n' ' ' | sed 's/<[^>]*>//g')"
}

lines() { grep -c . "$1"; }

# A real CXL machine (QEMU, Linux 6.1: a 2-way interleaved region onlined as
# kmem) and an unprivileged (zeroed) dump.
check_page cxl "$ORACLE" "$(lines "$ORACLE")"
check_page zeroed "$ZEROED" "$(lines "$ZEROED")"

# A diff page (--diff): the same machine before kmem onlined its dax
# devices, then after; both trees on one axis, every resource of both
# hovered.
grep -v 'System RAM (kmem)' "$ORACLE" > "$TMP/before-kmem.txt"
check_page diff "$TMP/before-kmem.txt" \
  "$(( $(lines "$TMP/before-kmem.txt") + $(lines "$ORACLE") ))" --diff "$ORACLE"

# A hotplug sequence (restree apply --map): one frame per event, each
# stepped to with the keys and checked.
printf '%s\n' "window add 0 base=0x1000000000 size=4G" \
  "region create window=0 size=256M mode=pmem" \
  "namespace create region=region0 mode=devdax" \
  "region destroy region0" > "$TMP/seq.events"
if "$RESTREE" apply "$TMP/seq.events" --map "$TMP/seq.html" >/dev/null 2>"$TMP/restree.err"; then
  dom="$(browse seq --dump-dom "file://$TMP/seq.html?selftest")" || true
  result="$(printf '%s\n' "$dom" | sed -n '/<pre id="selftest-result"/,/<\/pre>/p')"
  if [[ "$result" == *'data-status="pass"'* && "$result" == *"frames 5/5"* ]]; then
    echo "ok seq: $(printf '%s\n' "$result" | tr '\n' ' ' | sed 's/<[^>]*>//g')"
  else
    echo "FAIL seq: self-check:"; printf '%s\n' "$result" | head -30
    failures=$((failures + 1))
  fi
else
  echo "FAIL seq: restree apply --map failed:"; cat "$TMP/restree.err"
  failures=$((failures + 1))
fi

# 10^5 resources: the page must still load and answer hovers (500 probes
# spread evenly); it reports its first-draw and per-probe times.
awk 'function addr(b, off) {  # b * 2^32 + off, off < 2^32 (mawk: 32-bit %x)
  return b == 0 ? sprintf("%08x", off) : sprintf("%x%08x", b, off)
}
BEGIN {
  for (b = 0; b < 1000; b++) {
    printf "%s-%s : PCI Bus 0000:%02x\n", addr(b, 0), addr(b, 2147483647), b % 256
    for (k = 0; k < 9; k++) {
      kb = k * 134217728
      printf "  %s-%s : PCI Bus 0000:%02x\n", addr(b, kb), addr(b, kb + 134217727), k
      for (d = 0; d < 10; d++) {
        db = kb + d * 1048576
        printf "    %s-%s : 0000:%02x:%02x.0\n", addr(b, db), addr(b, db + 1048575), k, d
      }
    }
  }
}' > "$TMP/big.txt"
start=$(date +%s%N)
check_page big "$TMP/big.txt" 100000
echo "10^5 page: $(( ($(date +%s%N) - start) / 1000000 )) ms including render and self-check"

# A screenshot: the page draws something (a PNG of a real size).
"$RESTREE" map "$ORACLE" -o "$TMP/shot.html"
browse shot --screenshot="$TMP/shot.png" "file://$TMP/shot.html" >/dev/null
size=$(stat -c %s "$TMP/shot.png" 2>/dev/null || echo 0)
if [[ "$size" -lt 10000 ]]; then
  echo "FAIL screenshot: $size bytes"; failures=$((failures + 1))
else
  echo "ok screenshot: $size bytes"
fi
if [[ -n "${TEST_UNDECLARED_OUTPUTS_DIR:-}" ]]; then
  cp "$TMP/shot.png" "$TEST_UNDECLARED_OUTPUTS_DIR/map-cxl.png"
fi

exit $((failures > 0))
