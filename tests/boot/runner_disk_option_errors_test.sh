#!/usr/bin/env bash
# runner_disk_option_errors_test.sh RUNNER DISK ESP: run_qemu.sh's --disk mode refuses what a disk boot cannot do
# (an exit device, a command line, an unknown or foreign bus, a missing image, --disk-bus without --disk) with
# exit status 126 and a message naming the problem, before QEMU starts. No guest runs, so it is quick.
set -uo pipefail
runner=$1 disk=$2 esp=$3
fail=0
refuses() { # refuses WANT_MESSAGE RUNNER_ARGS...
  local want=$1 err rc
  shift
  err=$("$runner" --timeout=5 "$@" 2>&1 >/dev/null)
  rc=$?
  if [[ $rc == 126 && "$err" == *"$want"* ]]; then
    echo "ok: $* -> 126: $err"
  else
    echo "FAIL: $* -> exit $rc, want 126 with '$want'; stderr: $err"
    fail=1
  fi
}
refuses "--exit=device needs --esp" --arch=x86_64 --disk="$disk" --exit=device
refuses "--cmdline needs --esp" --arch=x86_64 --disk="$disk" --cmdline=debug
refuses "--disk-bus takes usb, nvme, virtio or ahci, got 'scsi'" --arch=x86_64 --disk="$disk" --disk-bus=scsi
refuses "--disk-bus=ahci is x86_64 only" --arch=aarch64 --disk="$disk" --disk-bus=ahci
refuses "disk image not found: $TEST_TMPDIR/none.img" --arch=x86_64 --disk="$TEST_TMPDIR/none.img"
refuses "--disk-bus needs --disk" --arch=x86_64 --esp="$esp" --disk-bus=usb
refuses "no image to boot: give --esp=IMG or --disk=IMG" --arch=x86_64
exit $fail
