#!/usr/bin/env bash
# make_gpt_disk.sh OUT EFI BOOT_NAME DISK_GUID PARTITION_GUID ESP_MIB
#
# Writes OUT: a GPT disk image with one EFI System Partition (ESP) holding EFI as \EFI\BOOT\BOOT_NAME, the path
# firmware boots from removable media with no boot entry of its own (UEFI 2.10 section 3.5.1.1). Written to a
# USB stick (README "Booting a real machine") it boots a real machine; QEMU boots it as a plain disk.
#
#   LBA 0          protective MBR (section 5.2.3), written by sfdisk
#   LBA 1..33      primary GPT header and its 128-entry partition array (sections 5.3.2, 5.3.3)
#   1 MiB          the ESP: ESP_MIB MiB, FAT32 (section 13.3.1.1: FAT32 for a system partition), type GUID
#                  C12A7328-F81F-11D2-BA4B-00A0C93EC93B (section 5.3.3, table "Partition Type GUIDs")
#   last 1 MiB     free, then the backup array and header in the disk's last 33 sectors
#
# No root or loop device: sfdisk (util-linux's fdisk package) writes the GPT into the plain file and mtools
# builds the FAT file system in a file of its own, copied in at the partition's offset. The output is
# reproducible: the GUIDs and the volume serial are fixed, and mtools stamps files and directories with
# SOURCE_DATE_EPOCH (1980-01-01, the first date FAT can hold) instead of the build's clock.
set -euo pipefail

if (($# != 6)); then
  echo "usage: make_gpt_disk.sh OUT EFI BOOT_NAME DISK_GUID PARTITION_GUID ESP_MIB" >&2
  exit 2
fi
out=$1 efi=$2 boot_name=$3 disk_guid=$4 part_guid=$5 esp_mib=$6
die() { echo "make_gpt_disk: $*" >&2; exit 1; }

case "$boot_name" in BOOTX64.EFI | BOOTAA64.EFI) ;; *) die "BOOT_NAME must be BOOTX64.EFI or BOOTAA64.EFI, got '$boot_name'" ;; esac
guid_re='^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$'
[[ "$disk_guid" =~ $guid_re ]] || die "DISK_GUID is not an upper-case GUID: '$disk_guid'"
[[ "$part_guid" =~ $guid_re ]] || die "PARTITION_GUID is not an upper-case GUID: '$part_guid'"
# FAT32 needs at least 65525 clusters (Microsoft FAT specification, "FAT type determination"); with one 512-byte
# sector per cluster that is about 33 MiB of partition. 4096 MiB keeps the image a sensible download.
[[ "$esp_mib" =~ ^[0-9]+$ ]] && ((esp_mib >= 34 && esp_mib <= 4096)) || die "ESP_MIB must be 34..4096, got '$esp_mib'"
[[ -s "$efi" ]] || die "EFI image '$efi' is missing or empty"

# sfdisk lives in /sbin, which a non-root user's PATH often lacks.
sfdisk=$(command -v sfdisk || echo /sbin/sfdisk)
[[ -x "$sfdisk" ]] || die "sfdisk not found; install: apt-get install -y fdisk (or run ./bazelw)"
command -v mformat >/dev/null || die "mformat not found; install: apt-get install -y mtools (or run ./bazelw)"

sector=512
start=2048                          # 1 MiB: the alignment every partitioning tool uses today
esp_sectors=$((esp_mib * 2048))
total_sectors=$((start + esp_sectors + 2048)) # 1 MiB at the end holds the backup GPT (33 sectors) and slack

export MTOOLS_SKIP_CHECK=1 SOURCE_DATE_EPOCH=315532800 TZ=UTC
part="$out.esp.tmp"
rm -f "$out" "$part"
trap 'rm -f "$part"' EXIT

# The file system. -H: hidden sectors = the partition's first LBA, as a formatter on the disk would record it.
# -N: fixed volume serial (otherwise taken from the clock). -v: the label a desktop shows for the stick.
mformat -i "$part" -C -F -T "$esp_sectors" -h 64 -s 32 -H "$start" -N 48414e44 -v HANDOFF ::
mmd -i "$part" ::/EFI ::/EFI/BOOT
mcopy -i "$part" "$efi" "::/EFI/BOOT/$boot_name"

# The partition table. The header's fields are all given, not left to sfdisk's defaults (which have changed
# between util-linux versions), so the bytes do not depend on the host: 128 entries (section 5.3.2's minimum
# array of 16 KiB), usable LBAs from the partition's start to just before the backup array (last LBA - 33).
truncate -s $((total_sectors * sector)) "$out"
"$sfdisk" --quiet --no-reread --no-tell-kernel "$out" >/dev/null <<SFDISK
label: gpt
label-id: $disk_guid
unit: sectors
sector-size: $sector
table-length: 128
first-lba: $start
last-lba: $((total_sectors - 34))

start=$start, size=$esp_sectors, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, uuid=$part_guid, name="EFI System Partition"
SFDISK

dd if="$part" of="$out" bs=$sector seek=$start conv=notrunc status=none
