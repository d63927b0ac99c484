#!/usr/bin/env bash
# disk_image_test.sh MAKE_GPT_DISK IMAGE EFI BOOT_NAME DISK_GUID PARTITION_GUID
#
# Checks a disk image built by make_gpt_disk.sh without booting it: the GPT as UEFI 2.10 chapter 5 defines it
# (read here byte by byte with its CRC32s, independently of sfdisk, which wrote it), one FAT32 EFI System
# Partition at 1 MiB whose only file is \EFI\BOOT\BOOT_NAME, identical to EFI; the image is reproducible
# (rebuilt here later in another time zone it is byte-identical, and EFI has no link time in it); and the
# builder refuses bad arguments.
set -uo pipefail
make_gpt_disk=$1 image=$2 efi=$3 boot_name=$4 disk_guid=$5 part_guid=$6
export MTOOLS_SKIP_CHECK=1
tmp=${TEST_TMPDIR:-$(mktemp -d)}
fail=0
check() { # check DESCRIPTION COMMAND...: runs COMMAND, reports FAIL with DESCRIPTION when it fails
  local what=$1
  shift
  if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fail=1; fi
}

# --- The GPT and the FAT32 boot sector, byte by byte -------------------------------------------------------
gpt_and_fat_are_valid() {
  python3 - "$image" "$disk_guid" "$part_guid" <<'PY'
import struct, sys, uuid, zlib
path, disk_guid, part_guid = sys.argv[1], uuid.UUID(sys.argv[2]), uuid.UUID(sys.argv[3])
data = open(path, "rb").read()
S = 512
last = len(data) // S - 1
errors = []
def expect(cond, msg):
    if not cond:
        errors.append(msg)

expect(len(data) % S == 0, "image size is not a whole number of sectors")
# Protective MBR (UEFI 2.10 section 5.2.3, table 5-4): one record of type 0xEE from LBA 1 over the disk.
mbr = data[:S]
expect(mbr[510:512] == b"\x55\xaa", "protective MBR: no 0x55AA signature")
status, ptype, start_lba, size_lba = mbr[446], mbr[450], *struct.unpack_from("<II", mbr, 454)
expect(ptype == 0xEE, "protective MBR: record 0 type 0x%02x, want 0xEE" % ptype)
expect(start_lba == 1, "protective MBR: record 0 starts at LBA %d, want 1" % start_lba)
expect(size_lba == min(last, 0xFFFFFFFF), "protective MBR: record 0 covers %d sectors, want %d" % (size_lba, last))
expect(mbr[462:510] == bytes(48), "protective MBR: records 1-3 are not zero")

# GPT headers (section 5.3.2, table 5-5) at LBA 1 and the last LBA, and their entry arrays (section 5.3.3).
def header(lba, label):
    h = data[lba * S:(lba + 1) * S]
    f = struct.unpack_from("<8sIIIIQQQQ16sQIII", h, 0)
    sig, rev, hsize, crc, _, my, alt, first, last_usable, dguid, entries_lba, n, esize, ecrc = f
    expect(sig == b"EFI PART", "%s header: signature %r" % (label, sig))
    expect(rev == 0x00010000, "%s header: revision 0x%x" % (label, rev))
    expect(hsize == 92, "%s header: HeaderSize %d" % (label, hsize))
    expect(zlib.crc32(h[:16] + b"\0\0\0\0" + h[20:hsize]) == crc, "%s header: HeaderCRC32 does not match" % label)
    expect(my == lba, "%s header: MyLBA %d, want %d" % (label, my, lba))
    expect(uuid.UUID(bytes_le=dguid) == disk_guid, "%s header: DiskGUID %s" % (label, uuid.UUID(bytes_le=dguid)))
    expect(n * esize <= 32 * S and esize == 128, "%s header: %d entries of %d bytes" % (label, n, esize))
    array = data[entries_lba * S:entries_lba * S + n * esize]
    expect(zlib.crc32(array) == ecrc, "%s header: PartitionEntryArrayCRC32 does not match" % label)
    return alt, first, last_usable, entries_lba, array

alt, first, last_usable, entries_lba, array = header(1, "primary")
expect(alt == last, "primary header: AlternateLBA %d, want the last LBA %d" % (alt, last))
expect(entries_lba == 2, "primary header: PartitionEntryLBA %d, want 2" % entries_lba)
balt, bfirst, blast, bentries, barray = header(last, "backup")
expect(balt == 1, "backup header: AlternateLBA %d, want 1" % balt)
expect(bentries == last - 32, "backup header: PartitionEntryLBA %d, want %d" % (bentries, last - 32))
expect(barray == array and (bfirst, blast) == (first, last_usable), "backup array or usable range differs")
expect(last_usable < last - 32, "LastUsableLBA %d overlaps the backup array" % last_usable)

ESP = uuid.UUID("C12A7328-F81F-11D2-BA4B-00A0C93EC93B")  # section 5.3.3, table 5-7
used = [array[i:i + 128] for i in range(0, len(array), 128) if array[i:i + 16] != bytes(16)]
expect(len(used) == 1, "%d partitions, want exactly one" % len(used))
part_start = part_end = 0
if used:
    e = used[0]
    ptype, pguid = uuid.UUID(bytes_le=e[0:16]), uuid.UUID(bytes_le=e[16:32])
    part_start, part_end = struct.unpack_from("<QQ", e, 32)
    name = e[56:128].decode("utf-16-le").rstrip("\0")
    expect(ptype == ESP, "partition type %s, want the EFI System Partition %s" % (ptype, ESP))
    expect(pguid == part_guid, "UniquePartitionGUID %s, want %s" % (pguid, part_guid))
    expect(part_start * S % (1 << 20) == 0, "partition starts at LBA %d, not 1 MiB aligned" % part_start)
    expect(first <= part_start <= part_end <= last_usable, "partition %d..%d outside the usable LBAs" % (part_start, part_end))
    expect(name == "EFI System Partition", "partition name %r" % name)

# The partition's FAT32 boot sector (Microsoft FAT specification: BPB fields, and FAT32 by cluster count).
if part_end:
    bs = data[part_start * S:(part_start + 1) * S]
    bps, spc, rsvd, nfats, root_ents, tot16, _, fat16, _, _, hidden, tot32, fat32 = struct.unpack_from("<HBHBHHBHHHIII", bs, 11)
    expect(bs[510:512] == b"\x55\xaa", "FAT boot sector: no 0x55AA signature")
    expect(bps == S, "FAT: %d bytes per sector" % bps)
    expect(root_ents == 0 and tot16 == 0 and fat16 == 0 and bs[82:90] == b"FAT32   ", "FAT: not a FAT32 BPB")
    expect(tot32 == part_end - part_start + 1, "FAT: %d sectors, the partition has %d" % (tot32, part_end - part_start + 1))
    expect(hidden == part_start, "FAT: HiddSec %d, want the partition's first LBA %d" % (hidden, part_start))
    clusters = (tot32 - rsvd - nfats * fat32) // max(spc, 1)
    expect(clusters >= 65525, "FAT: %d clusters, FAT32 needs at least 65525" % clusters)

for e in errors:
    print("  " + e)
sys.exit(1 if errors else 0)
PY
}
check "GPT (protective MBR, both headers, CRC32s, one ESP at 1 MiB) and FAT32 boot sector are valid" gpt_and_fat_are_valid

# --- Files on the ESP (mtools reads the partition at its offset) ---------------------------------------------
listing=$(mdir -/ -b -i "$image@@1M" :: 2>&1)
want=$(printf '::/EFI/\n::/EFI/BOOT/\n::/EFI/BOOT/%s' "$boot_name")
check "the ESP holds only \\EFI\\BOOT\\$boot_name (no command line file): got '$listing'" test "$listing" == "$want"
mcopy -n -i "$image@@1M" "::/EFI/BOOT/$boot_name" "$tmp/boot.efi" 2>/dev/null
check "\\EFI\\BOOT\\$boot_name is the kernel image" cmp -s "$tmp/boot.efi" "$efi"

# --- Reproducible: the same inputs later, in another time zone, give the same bytes -----------------------------
# The kernel image carries no link time (lld-link /Brepro in uefi_image): its PE TimeDateStamp (PE/COFF file
# header, offset 4 after the signature) is a hash of the contents, not a time within a day of this test (a hash
# lands there by chance once in ~25,000 builds).
efi_has_no_link_time() {
  python3 - "$efi" <<'PY'
import struct, sys, time
d = open(sys.argv[1], "rb").read()
pe = struct.unpack_from("<I", d, 0x3C)[0]
assert d[pe:pe + 4] == b"PE\0\0", "not a PE image"
ts = struct.unpack_from("<I", d, pe + 8)[0]
if abs(ts - time.time()) < 86400:
    print("  TimeDateStamp 0x%x is the link time" % ts)
    sys.exit(1)
PY
}
check "the kernel image has no link time in it (reproducible link)" efi_has_no_link_time
sleep 1
TZ=Pacific/Kiritimati bash "$make_gpt_disk" "$tmp/again.img" "$efi" "$boot_name" "$disk_guid" "$part_guid" 64
check "a rebuild is byte-identical to the image" cmp -s "$tmp/again.img" "$image"
rm -f "$tmp/again.img"

# --- Bad arguments: a clear error, exit 1, no image left behind ----------------------------------------------
refuses() { # refuses WANT_MESSAGE ARGS...
  local want=$1 err rc
  shift
  err=$(bash "$make_gpt_disk" "$tmp/bad.img" "$@" 2>&1)
  rc=$?
  [[ $rc == 1 && "$err" == *"$want"* && ! -e "$tmp/bad.img" ]] || { echo "  rc=$rc: $err"; return 1; }
}
check "refuses a lower-case GUID" refuses "DISK_GUID is not an upper-case GUID" "$efi" "$boot_name" "${disk_guid,,}" "$part_guid" 64
check "refuses an ESP too small for FAT32" refuses "ESP_MIB must be 34..4096" "$efi" "$boot_name" "$disk_guid" "$part_guid" 16
check "refuses an unknown boot file name" refuses "BOOT_NAME must be" "$efi" BOOTIA32.EFI "$disk_guid" "$part_guid" 64
check "refuses a missing EFI image" refuses "missing or empty" "$tmp/none.efi" "$boot_name" "$disk_guid" "$part_guid" 64
exit $fail
