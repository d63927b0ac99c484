#!/usr/bin/env bash
# run_qemu.sh: boot the kernel's ESP image under QEMU + UEFI firmware and exit with the kernel's own status.
#
# Used by `bazel run //:qemu_x86_64` / `//:qemu_aarch64` and by the boot tests. Options it knows are its own;
# every other argument goes to QEMU unchanged:
#   --cmdline=STRING   kernel command line, written into the ESP as EFI/BOOT/cmdline
#   --gdb              QEMU waits for a debugger on tcp::1234 (-s -S); see README "Debugging"
#   --kvm              use KVM instead of TCG (opt-in: OVMF has been seen to crash under KVM here)
#   --timeout=SECONDS  give up after SECONDS (default 300); exit 124
#   --log=FILE         also save the serial log to FILE
# Exit status: the kernel's status when it reported one through the exit device and printed
# `boot.done status=N`; 124 on timeout; 125 when the run ended without a kernel status (firmware error,
# triple fault, QEMU failure); 126 when a firmware or tool is missing.
set -euo pipefail

arch="" esp="" cmdline="" gdb=0 kvm=0 timeout_s=300 log=""
qemu_args=()
for arg in "$@"; do
  case "$arg" in
    --arch=*) arch="${arg#--arch=}" ;;
    --esp=*) esp="${arg#--esp=}" ;;
    --cmdline=*) cmdline="${arg#--cmdline=}" ;;
    --gdb) gdb=1 ;;
    --kvm) kvm=1 ;;
    --timeout=*) timeout_s="${arg#--timeout=}" ;;
    --log=*) log="${arg#--log=}" ;;
    *) qemu_args+=("$arg") ;;
  esac
done

die() { echo "run_qemu: $*" >&2; exit 126; }
[[ -n "$arch" && -n "$esp" ]] || die "internal: --arch and --esp are set by the BUILD target"
[[ -f "$esp" ]] || die "ESP image not found: $esp"
[[ "$timeout_s" =~ ^[0-9]+$ ]] || die "--timeout takes whole seconds, got '$timeout_s'"
# Relative --log paths are relative to where the user ran `bazel run`, not the runfiles tree.
if [[ -n "$log" && "$log" != /* && -n "${BUILD_WORKING_DIRECTORY:-}" ]]; then log="$BUILD_WORKING_DIRECTORY/$log"; fi

case "$arch" in
  x86_64)
    qemu=qemu-system-x86_64 code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd pkg="qemu-system-x86 ovmf" ;;
  aarch64)
    qemu=qemu-system-aarch64 code=/usr/share/AAVMF/AAVMF_CODE.fd vars=/usr/share/AAVMF/AAVMF_VARS.fd pkg="qemu-system-arm qemu-efi-aarch64" ;;
  *) die "unknown --arch=$arch" ;;
esac
command -v "$qemu" >/dev/null || die "$qemu not found; install: apt-get install -y $pkg (or run ./bazelw)"
[[ -f "$code" && -f "$vars" ]] || die "firmware $code not found; install: apt-get install -y $pkg (or run ./bazelw)"
command -v mcopy >/dev/null || die "mcopy not found; install: apt-get install -y mtools"

work=$(mktemp -d "${TMPDIR:-/tmp}/run_qemu.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Private writable copies: the firmware writes its variables, the runner writes the command line.
cp "$esp" "$work/esp.img"
chmod u+w "$work/esp.img"
cp "$vars" "$work/vars.fd"
chmod u+w "$work/vars.fd"
printf '%s' "$cmdline" > "$work/cmdline"
MTOOLS_SKIP_CHECK=1 mcopy -o -i "$work/esp.img" "$work/cmdline" ::/EFI/BOOT/cmdline
serial_log="$work/serial.log"

has_arg() { local a; for a in "${qemu_args[@]+"${qemu_args[@]}"}"; do [[ "$a" == "$1" ]] && return 0; done; return 1; }
args=(-nodefaults -display none -no-reboot
      -chardev "stdio,id=ser0,logfile=$serial_log,signal=on" -serial chardev:ser0
      -drive "if=pflash,format=raw,readonly=on,file=$code"
      -drive "if=pflash,format=raw,file=$work/vars.fd")
case "$arch" in
  x86_64)
    has_arg -m || args+=(-m 256M)
    has_arg -machine || args+=(-machine q35)
    args+=(-vga std
           -drive "if=none,id=esp,format=raw,file=$work/esp.img" -device ahci,id=ahci -device ide-hd,drive=esp,bus=ahci.0
           -device isa-debug-exit,iobase=0xf4,iosize=0x04) ;;
  aarch64)
    has_arg -m || args+=(-m 256M)
    has_arg -machine || args+=(-machine virt)
    has_arg -cpu || args+=(-cpu cortex-a57)
    args+=(-drive "if=none,id=esp,format=raw,file=$work/esp.img" -device virtio-blk-device,drive=esp
           -semihosting-config enable=on,target=native) ;;
esac
if [[ $kvm == 1 ]]; then args+=(-accel kvm); else args+=(-accel tcg); fi
if [[ $gdb == 1 ]]; then
  args+=(-s -S)
  echo "run_qemu: waiting for gdb on localhost:1234 (see README: Debugging)" >&2
  timeout_s=0
fi

set +e
timeout --foreground "$timeout_s" "$qemu" "${args[@]}" "${qemu_args[@]+"${qemu_args[@]}"}" </dev/null
rc=$?
set -e
[[ -n "$log" ]] && cp "$serial_log" "$log"

if [[ $rc == 124 ]]; then
  echo "run_qemu: timeout after ${timeout_s}s" >&2
  exit 124
fi
# Both exit devices report (status << 1) | 1 (x86 isa-debug-exit does it in hardware; the AArch64 kernel
# encodes its semihosting exit code the same way), so an even code means the kernel never reported.
if (( rc % 2 == 0 )); then
  echo "run_qemu: $qemu exited with $rc without a kernel status (firmware error, reset or QEMU failure)" >&2
  exit 125
fi
status=$(( rc >> 1 ))
if ! grep -q "boot.done status=$status" "$serial_log" && (( status == 0 )); then
  echo "run_qemu: exit device reported 0 but the serial log has no 'boot.done status=0'" >&2
  exit 125
fi
if (( status != 0 )); then
  echo "run_qemu: kernel exited with status $status" >&2
fi
exit "$status"
