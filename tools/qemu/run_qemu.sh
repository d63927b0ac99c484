#!/usr/bin/env bash
# run_qemu.sh: boot the kernel's ESP image (or a whole disk image) under QEMU + UEFI firmware and exit with the
# kernel's own status.
#
# Used by `bazel run //:qemu_x86_64` / `//:qemu_aarch64` (--esp=), `//:qemu_disk_x86_64` / `//:qemu_disk_aarch64`
# (--disk=) and by the boot tests. Options it knows are its own; every other argument goes to QEMU unchanged:
#   --esp=IMG          the FAT image to boot as the ESP; the runner boots a private copy with its command line
#   --disk=IMG         instead of --esp: a whole disk image (//:disk_<arch>, GPT with an ESP) booted as it is, as a
#                      real machine would: read-only (QEMU snapshot=on), no command line file, the firmware's
#                      default boot order; implies --exit=firmware (--exit=device and --cmdline are refused)
#   --disk-bus=BUS     how the --disk image is attached: usb (default: a USB stick on an xHCI controller), nvme,
#                      virtio (virtio-blk-pci) or ahci (x86 only: SATA on q35's AHCI)
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
#   --screenshot=FILE  save the screen as a PPM image once the kernel has finished (see "Screenshots" below);
#                      AArch64 gets `-device ramfb` (virt has no display otherwise), x86 keeps its std VGA
# Exit status: the kernel's status (0 success, 2 failure before ExitBootServices, 3 panic); 123 when QEMU did
# not start (it failed before the firmware printed anything; its error is shown); 124 on timeout; 125 when the
# run ended without a kernel status (firmware error, triple fault, QEMU failure); 126 when a firmware or tool
# is missing or an option is wrong.
#
# Screenshots: QEMU gets a monitor on a unix socket (-monitor unix:...,server=on,wait=off) and the kernel command
# line gets `selftest.hold_screen`, on which the test-hooks kernel, right after boot.done, logs
# `selftest.hold_screen` and waits a bounded time instead of ending the run. The runner watches the serial log;
# on that line it sends `screendump` through the monitor (HMP answers with its prompt once the file is written),
# then `quit`, and takes the kernel's status from the log (`boot.done status=N`), as --exit=firmware does. So the
# picture is the final screen and no guess of timing is involved. A kernel without the hook (the normal image)
# does not wait: on x86 with --exit=firmware it halts and the screen is still taken before QEMU is ended;
# otherwise the run ends first and the runner fails with 125, saying so.
set -euo pipefail

arch="" esp="" disk="" disk_bus="" cmdline="" exit_mode="" gdb=0 kvm=0 timeout_s=300 log="" screenshot=""
qemu_args=()
for arg in "$@"; do
  case "$arg" in
    --arch=*) arch="${arg#--arch=}" ;;
    --esp=*) esp="${arg#--esp=}" ;;
    --disk=*) disk="${arg#--disk=}" ;;
    --disk-bus=*) disk_bus="${arg#--disk-bus=}" ;;
    --cmdline=*) cmdline="${arg#--cmdline=}" ;;
    --exit=*) exit_mode="${arg#--exit=}" ;;
    --gdb) gdb=1 ;;
    --kvm) kvm=1 ;;
    --timeout=*) timeout_s="${arg#--timeout=}" ;;
    --log=*) log="${arg#--log=}" ;;
    --screenshot=*) screenshot="${arg#--screenshot=}" ;;
    *) qemu_args+=("$arg") ;;
  esac
done

die() { echo "run_qemu: $*" >&2; exit 126; }
[[ -n "$arch" ]] || die "internal: --arch is set by the BUILD target"
# Relative --disk paths given on `bazel run` are relative to where the user ran it.
if [[ -n "$disk" && "$disk" != /* && ! -e "$disk" && -n "${BUILD_WORKING_DIRECTORY:-}" ]]; then
  disk="$BUILD_WORKING_DIRECTORY/$disk"
fi
if [[ -n "$disk" ]]; then
  [[ -f "$disk" ]] || die "disk image not found: $disk"
  # The disk is booted the way a machine boots it: no exit device, no command line but the kernel's defaults.
  [[ "$exit_mode" != device ]] || die "--disk boots without an exit device; --exit=device needs --esp"
  [[ -z "$cmdline" ]] || die "--disk boots with the kernel's default command line; --cmdline needs --esp"
  exit_mode=firmware disk_bus=${disk_bus:-usb}
  case "$disk_bus" in
    usb | nvme | virtio) ;;
    ahci) [[ "$arch" == x86_64 ]] || die "--disk-bus=ahci is x86_64 only" ;;
    *) die "--disk-bus takes usb, nvme, virtio or ahci, got '$disk_bus'" ;;
  esac
else
  [[ -n "$esp" ]] || die "no image to boot: give --esp=IMG or --disk=IMG"
  [[ -z "$disk_bus" ]] || die "--disk-bus needs --disk"
  [[ -f "$esp" ]] || die "ESP image not found: $esp"
fi
exit_mode=${exit_mode:-device}
[[ "$timeout_s" =~ ^[0-9]+$ ]] || die "--timeout takes whole seconds, got '$timeout_s'"
[[ "$exit_mode" == device || "$exit_mode" == firmware ]] || die "--exit takes device or firmware, got '$exit_mode'"
# The kernel uses the exit device only when its command line asks for it (a real machine has none).
if [[ "$exit_mode" == device ]]; then cmdline="exit=qemu${cmdline:+ $cmdline}"; fi
# Relative --log paths are relative to where the user ran `bazel run`, not the runfiles tree.
if [[ -n "$log" && "$log" != /* && -n "${BUILD_WORKING_DIRECTORY:-}" ]]; then log="$BUILD_WORKING_DIRECTORY/$log"; fi
if [[ -n "$screenshot" ]]; then
  if [[ "$screenshot" != /* && -n "${BUILD_WORKING_DIRECTORY:-}" ]]; then screenshot="$BUILD_WORKING_DIRECTORY/$screenshot"; fi
  command -v python3 >/dev/null || die "--screenshot talks to QEMU's monitor with python3; install: apt-get install -y python3"
  cmdline="${cmdline:+$cmdline }selftest.hold_screen"
fi

case "$arch" in
  x86_64)
    qemu=qemu-system-x86_64 code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd pkg="qemu-system-x86 ovmf" ;;
  aarch64)
    qemu=qemu-system-aarch64 code=/usr/share/AAVMF/AAVMF_CODE.fd vars=/usr/share/AAVMF/AAVMF_VARS.fd pkg="qemu-system-arm qemu-efi-aarch64" ;;
  *) die "unknown --arch=$arch" ;;
esac
command -v "$qemu" >/dev/null || die "$qemu not found; install: apt-get install -y $pkg (or run ./bazelw)"
[[ -f "$code" && -f "$vars" ]] || die "firmware $code not found; install: apt-get install -y $pkg (or run ./bazelw)"
[[ -n "$disk" ]] || command -v mcopy >/dev/null || die "mcopy not found; install: apt-get install -y mtools"

work=$(mktemp -d "${TMPDIR:-/tmp}/run_qemu.XXXXXX")
trap 'rm -rf "$work"' EXIT
# QEMU puts a snapshot=on overlay (--disk) in $TMPDIR, else /var/tmp, which a test sandbox may not let it write.
export TMPDIR="$work"
# Private writable copies: the firmware writes its variables, the runner writes the command line. A --disk
# image is not copied: QEMU's snapshot=on keeps every write in a temporary overlay.
cp "$vars" "$work/vars.fd"
chmod u+w "$work/vars.fd"
if [[ -z "$disk" ]]; then
  cp "$esp" "$work/esp.img"
  chmod u+w "$work/esp.img"
  printf '%s' "$cmdline" > "$work/cmdline"
  MTOOLS_SKIP_CHECK=1 mcopy -o -i "$work/esp.img" "$work/cmdline" ::/EFI/BOOT/cmdline
fi
serial_log="$work/serial.log"
# A unix socket path must fit in 108 bytes; Bazel's TMPDIR can be longer, so the monitor gets a short folder.
monitor_dir=""
if [[ -n "$screenshot" ]]; then
  monitor_dir=$(mktemp -d /tmp/qmon.XXXXXX)
  trap 'rm -rf "$work" "$monitor_dir"' EXIT
fi

has_arg() { local a; for a in "${qemu_args[@]+"${qemu_args[@]}"}"; do [[ "$a" == "$1" ]] && return 0; done; return 1; }
args=(-nodefaults -display none -no-reboot
      -chardev "stdio,id=ser0,logfile=$serial_log,signal=on" -serial chardev:ser0
      -drive "if=pflash,format=raw,readonly=on,file=$code"
      -drive "if=pflash,format=raw,file=$work/vars.fd")
case "$arch" in
  x86_64)
    has_arg -m || args+=(-m 256M)
    has_arg -machine || args+=(-machine q35)
    args+=(-vga std)
    [[ -n "$disk" ]] || args+=(-drive "if=none,id=esp,format=raw,file=$work/esp.img" -device ahci,id=ahci -device ide-hd,drive=esp,bus=ahci.0)
    if [[ "$exit_mode" == device ]]; then args+=(-device isa-debug-exit,iobase=0xf4,iosize=0x04); fi ;;
  aarch64)
    has_arg -m || args+=(-m 256M)
    has_arg -machine || args+=(-machine virt)
    has_arg -cpu || args+=(-cpu cortex-a57)
    [[ -n "$disk" ]] || args+=(-drive "if=none,id=esp,format=raw,file=$work/esp.img" -device virtio-blk-device,drive=esp)
    # virt has no display: ramfb gives AAVMF a GOP framebuffer in guest RAM to draw on (and QEMU one to dump).
    if [[ -n "$screenshot" ]] && ! has_arg ramfb; then args+=(-device ramfb); fi
    if [[ "$exit_mode" == device ]]; then args+=(-semihosting-config enable=on,target=native); fi ;;
esac
if [[ -n "$screenshot" ]]; then args+=(-monitor "unix:$monitor_dir/monitor.sock,server=on,wait=off"); fi
if [[ -n "$disk" ]]; then
  # Only the disk: with -nodefaults there is no other boot device, so the firmware's default boot order (no
  # startup.nsh, no boot entry in the fresh variable store) reaches it through the removable-media path.
  args+=(-drive "if=none,id=disk,format=raw,file=$disk,snapshot=on")
  case "$disk_bus" in
    usb) args+=(-device qemu-xhci,id=xhci -device usb-storage,bus=xhci.0,drive=disk) ;;
    nvme) args+=(-device nvme,serial=handoff-disk,drive=disk) ;;
    virtio) args+=(-device virtio-blk-pci,drive=disk) ;;
    ahci) args+=(-device ahci,id=ahci -device ide-hd,drive=disk,bus=ahci.0) ;;
  esac
fi
# An -accel of the caller's (e.g. `-accel tcg,thread=multi` for the SMP boots) replaces the default TCG one.
if [[ $kvm == 1 ]]; then args+=(-accel kvm); elif ! has_arg -accel; then args+=(-accel tcg); fi
if [[ $gdb == 1 ]]; then
  args+=(-s -S)
  # The debugger for this architecture's image, and how to attach it (README "Debugging"; ./bazelw installs both).
  if [[ "$arch" == x86_64 ]]; then gdb_tool=gdb; else gdb_tool=gdb-multiarch; fi
  echo "run_qemu: waiting for gdb on localhost:1234 (see README: Debugging). In another terminal, from the workspace," >&2
  echo "  with IMAGE_BASE the banner's image_base= (the same between runs with the same options):" >&2
  echo "  $gdb_tool -ex 'target remote :1234' -ex \"add-symbol-file bazel-bin/kernel_$arch.efi -o \$((IMAGE_BASE - 0x140000000))\" -ex 'break memory_bringup' -ex continue" >&2
  command -v "$gdb_tool" >/dev/null || echo "run_qemu: $gdb_tool is not installed: apt-get install -y gdb gdb-multiarch (./bazelw installs them)" >&2
  timeout_s=0
fi

qemu_err="$work/qemu.stderr"
: > "$serial_log"
# The final kernel line of a run: `boot.done status=N ` (more keys follow) or a panic line; firmware mode takes
# the status from it.
final_line() { grep -a -o -E 'boot\.done status=[0-9]+ |panic [a-z]+=[^ ]*' "$serial_log" | head -n 1 || true; }

# monitor COMMAND...: sends each HMP command to QEMU's monitor and waits for the prompt that follows it (after
# `quit` none comes). Fails when the socket or a prompt is missing.
monitor() {
  python3 - "$monitor_dir/monitor.sock" "$@" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(30)
s.connect(sys.argv[1])
def prompt():
    buf = b""
    while not buf.endswith(b"(qemu) "):
        data = s.recv(4096)
        if not data:
            return False
        buf += data
    return True
if not prompt():
    sys.exit(1)
for cmd in sys.argv[2:]:
    s.sendall(cmd.encode() + b"\n")
    if cmd != "quit" and not prompt():
        sys.exit(1)
PY
}
shot_taken=0
take_screenshot() {
  if monitor "screendump $work/screen.ppm" 2>>"$work/monitor.err" && [[ -s "$work/screen.ppm" ]]; then
    cp "$work/screen.ppm" "$screenshot"
    shot_taken=1
  fi
}
hold_line() { grep -a -q -E '^selftest\.hold_screen ' "$serial_log"; }

set +e
if [[ "$exit_mode" == device && -z "$screenshot" ]]; then
  timeout --foreground "$timeout_s" "$qemu" "${args[@]}" "${qemu_args[@]+"${qemu_args[@]}"}" </dev/null 2>"$qemu_err"
  rc=$?
else
  # QEMU in the background; the runner watches the serial log. AArch64 powers off (QEMU exits by itself);
  # x86 halts, so the runner ends QEMU a moment after the final line (the timeout is the backstop). With
  # --screenshot, the kernel's hold line is the moment to take it (see "Screenshots" above).
  timeout "$timeout_s" "$qemu" "${args[@]}" "${qemu_args[@]+"${qemu_args[@]}"}" </dev/null 2>"$qemu_err" &
  qemu_pid=$!
  ended_by_runner=0 seen_at=""
  while kill -0 "$qemu_pid" 2>/dev/null; do
    if [[ -n "$screenshot" ]] && hold_line; then
      take_screenshot
      monitor quit 2>>"$work/monitor.err"
      ended_by_runner=1
      break
    fi
    if [[ -z "$seen_at" && -n "$(final_line)" ]]; then seen_at=$SECONDS; fi
    # Grace for the rest of the line and, on AArch64, for PSCI SYSTEM_OFF to end QEMU on its own.
    if [[ -n "$seen_at" ]] && (( SECONDS - seen_at >= 2 )); then
      if [[ -n "$screenshot" ]]; then take_screenshot; fi  # x86 halted: the final screen is still there
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

if [[ -n "$screenshot" && $shot_taken == 0 ]]; then
  echo "run_qemu: no screenshot: the run ended before the kernel held the screen (selftest.hold_screen needs the test-hooks kernel) or the monitor failed: $(head -c 500 "$work/monitor.err" 2>/dev/null)" >&2
  exit 125
fi

if [[ "$exit_mode" == firmware || -n "$screenshot" ]]; then
  line=$(final_line)
  if [[ -z "$line" ]]; then
    echo "run_qemu: $qemu exited with $rc and the serial log has no boot.done or panic line" >&2
    exit 125
  fi
  if (( shot_taken && ended_by_runner )); then
    how="the runner ended QEMU after the screenshot ($screenshot)"
  elif (( ended_by_runner )); then
    how="the runner ended QEMU after the final line"
  else
    how="QEMU exited by itself with $rc"
  fi
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
