#!/usr/bin/env bash
# runner_reports_qemu_did_not_start_test.sh RUNNER ESP: run_qemu.sh with guest memory QEMU cannot allocate
# (-m 64T) must exit 123 and say "QEMU did not start" with QEMU's own error, not blame the kernel or firmware.
set -uo pipefail
runner=$1 esp=$2
err=$(mktemp "${TEST_TMPDIR:-/tmp}/stderr.XXXXXX")
"$runner" --arch=x86_64 --esp="$esp" --timeout=60 -m 64T >/dev/null 2>"$err"
rc=$?
cat "$err"
fail=0
if [[ $rc != 123 ]]; then echo "FAIL: exit status $rc, expected 123 (QEMU did not start)"; fail=1; fi
if ! grep -q "QEMU did not start" "$err"; then echo "FAIL: no 'QEMU did not start' message"; fail=1; fi
if ! grep -q "cannot set up guest memory" "$err"; then echo "FAIL: QEMU's own error is not shown"; fail=1; fi
exit $fail
