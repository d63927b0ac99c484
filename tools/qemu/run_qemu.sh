#!/usr/bin/env bash
# run_qemu.sh: boot the kernel's ESP image under QEMU + UEFI firmware and exit with the kernel's own status.
#
# Used by `bazel run //:qemu_x86_64` / `//:qemu_aarch64` and by the boot tests. Options it knows are its own;
# every other argument goes to QEMU unchanged:
#   --cmdline=STRING   kernel command line, written into the ESP as EFI/BOOT/cmdline
#   --exit=device      (default) QEMU gets an exit device (x86 isa-debug-exit, AArch64 semihosting) and the
#                      kernel command line gets `exit=qemu`, so the kernel ends QEMU with its status
#   --exit=firmware    no exit device, as on a real machine: the kernel powers off (AArch64 PSCI SYSTEM_OFF,
#                      QEMU exits by itself) or halts (x86: the runner ends QEMU once it sees the final line);
#                      the status is taken from the serial log (`boot.done status=N`; a panic line gives 3,
#                      `panic stage=efi` 2)
#   --gdb              QEMU waits for a debugger on tcp::1234 (-s -S); see README "Debugging"
#   --kvm              use KVM instead of TCG (opt-in: OVMF has been seen to crash under KVM here)
#   --timeout=SECONDS  give up after SECONDS (default 300); exit 124
#   --log=FILE         also save the serial log to FILE
# Exit status: the kernel's status (0 success, 2 failure before ExitBootServices, 3 panic); 123 when QEMU did
# not start (it failed before the firmware printed anything; its error is shown); 124 on timeout; 125 when the
# run ended without a kernel status (firmware error, triple fault, QEMU failure); 126 when a firmware or tool
# is missing or an option is wrong.
set -euo pipefail

arch="" esp="" cmdline="" exit_mode=device gdb=0 kvm=0 timeout_s=300 log=""
qemu_args=()
for arg in "$@"; do
  case "$arg" in
    --arch=*) arch="${arg#--arch=}" ;;
    --esp=*) esp="${arg#--esp=}" ;;
    --cmdline=*) cmdline="${arg#--cmdline=}" ;;
    --exit=*) exit_mode="${arg#--exit=}" ;;
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
[[ "$exit_mode" == device || "$exit_mode" == firmware ]] || die "--exit takes device or firmware, got '$exit_mode'"
# The kernel uses the exit device only when its command line asks for it (a real machine has none).
if [[ "$exit_mode" == device ]]; then cmdline="exit=qemu${cmdline:+ $cmdline}"; fi
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
           -drive "if=none,id=esp,format=raw,file=$work/esp.img" -device ahci,id=ahci -device ide-hd,drive=esp,bus=ahci.0)
    if [[ "$exit_mode" == device ]]; then args+=(-device isa-debug-exit,iobase=0xf4,iosize=0x04); fi ;;
  aarch64)
    has_arg -m || args+=(-m 256M)
    has_arg -machine || args+=(-machine virt)
    has_arg -cpu || args+=(-cpu cortex-a57)
    args+=(-drive "if=none,id=esp,format=raw,file=$work/esp.img" -device virtio-blk-device,drive=esp)
    if [[ "$exit_mode" == device ]]; then args+=(-semihosting-config enable=on,target=native); fi ;;
esac
# An -accel of the caller's (e.g. `-accel tcg,thread=multi` for the SMP boots) replaces the default TCG one.
if [[ $kvm == 1 ]]; then args+=(-accel kvm); elif ! has_arg -accel; then args+=(-accel tcg); fi
if [[ $gdb == 1 ]]; then
  args+=(-s -S)
  echo "run_qemu: waiting for gdb on localhost:1234 (see README: Debugging)" >&2
  timeout_s=0
fi

qemu_err="$work/qemu.stderr"
: > "$serial_log"
# The final kernel line of a run: `boot.done status=N ` (more keys follow) or a panic line; firmware mode takes
# the status from it.
final_line() { grep -a -o -E 'boot\.done status=[0-9]+ |panic [a-z]+=[^ ]*' "$serial_log" | head -n 1 || true; }

set +e
if [[ "$exit_mode" == device ]]; then
  timeout --foreground "$timeout_s" "$qemu" "${args[@]}" "${qemu_args[@]+"${qemu_args[@]}"}" </dev/null 2>"$qemu_err"
  rc=$?
else
  # QEMU in the background; the runner watches the serial log. AArch64 powers off (QEMU exits by itself);
  # x86 halts, so the runner ends QEMU a moment after the final line (the timeout is the backstop).
  timeout "$timeout_s" "$qemu" "${args[@]}" "${qemu_args[@]+"${qemu_args[@]}"}" </dev/null 2>"$qemu_err" &
  qemu_pid=$!
  ended_by_runner=0 seen_at=""
  while kill -0 "$qemu_pid" 2>/dev/null; do
    if [[ -z "$seen_at" && -n "$(final_line)" ]]; then seen_at=$SECONDS; fi
    # Grace for the rest of the line and, on AArch64, for PSCI SYSTEM_OFF to end QEMU on its own.
    if [[ -n "$seen_at" ]] && (( SECONDS - seen_at >= 2 )); then
      ended_by_runner=1
      kill -TERM "$qemu_pid" 2>/dev/null
      break
    fi
    sleep 0.2
  done
  wait "$qemu_pid"
  rc=$?
fi
set -e
if [[ -n "$log" ]]; then cp "$serial_log" "$log"; fi
if [[ $rc == 124 ]]; then
  echo "run_qemu: timeout after ${timeout_s}s" >&2
  exit 124
fi
# QEMU exited non-zero before the firmware wrote anything: it never ran the guest (bad option, guest memory it
# cannot allocate, ...). Its error is above.
if [[ $rc != 0 && ! -s "$serial_log" ]]; then
  echo "run_qemu: QEMU did not start ($qemu exited with $rc before any firmware output): $(head -c 2000 "$qemu_err")" >&2
  exit 123
fi
# QEMU's own messages (warnings included) go to the caller's stderr after the run.
if [[ -s "$qemu_err" ]]; then cat "$qemu_err" >&2; fi

if [[ "$exit_mode" == firmware ]]; then
  line=$(final_line)
  if [[ -z "$line" ]]; then
    echo "run_qemu: $qemu exited with $rc and the serial log has no boot.done or panic line" >&2
    exit 125
  fi
  if (( ended_by_runner )); then how="the runner ended QEMU after the final line"; else how="QEMU exited by itself with $rc"; fi
  case "$line" in
    boot.done*) status=${line#boot.done status=}; status=${status% } ;;
    "panic stage=efi") status=2 ;;
    *) status=3 ;;
  esac
  echo "run_qemu: kernel status $status from the serial log ('$line'); $how" >&2
  exit "$status"
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
