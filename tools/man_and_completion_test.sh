#!/bin/bash
# Checks the manual page and the completion script restree generates
# (`restree --man`, `restree --bash-completion`; the genrules
# //tools:restree_man and //tools:restree_bash_completion run the same).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
out=${TEST_TMPDIR:-$(mktemp -d)}
man_page=$out/restree.1
completion=$out/restree.bash-completion
tools/restree --man > "$man_page" || fail "restree --man"
tools/restree --bash-completion > "$completion" || fail "restree --bash-completion"

# The page: a title, every section, and each command's own help text.
grep -q '^\.TH RESTREE 1 ' "$man_page" || fail "no .TH line"
for section in NAME SYNOPSIS DESCRIPTION COMMANDS; do
  grep -q "^\.SH $section" "$man_page" || fail "no $section section"
done
for cmd in show diff check which cedt numa apply demo map; do
  grep -q "^\.SS $cmd\$" "$man_page" || fail "no .SS $cmd"
  grep -q "^usage: restree $cmd" "$man_page" || fail "no usage of $cmd"
done
# No help line may start a troff request by accident.
if grep -n "^[.'][a-z]" "$man_page" | grep -v -E "^[0-9]+:\.(TH|SH|SS|PP|nf|fi|br|B|I|BR) ?" ; then
  fail "a text line reads as a troff request"
fi
if command -v groff > /dev/null; then
  warnings=$(groff -man -Tutf8 -ww -z "$man_page" 2>&1 || true)
  [[ -z "$warnings" ]] || fail "groff warns: $warnings"
fi

# The completion: bash loads it and completes a command and its options.
bash -n "$completion" || fail "bash -n"
result=$(bash -c '
  source "$1"
  COMP_WORDS=(restree wh); COMP_CWORD=1; _restree; echo "${COMPREPLY[*]}"
  COMP_WORDS=(restree show --un); COMP_CWORD=2; _restree; echo "${COMPREPLY[*]}"
  COMP_WORDS=(restree diff --j); COMP_CWORD=2; _restree; echo "${COMPREPLY[*]}"
' _ "$completion")
expected=$'which\n--under\n--json'
[[ "$result" == "$expected" ]] || fail "completion gave: $result"
echo PASS
