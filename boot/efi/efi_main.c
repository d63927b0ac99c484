// efi_main.c: the UEFI entry shared by both architectures. Everything that needs boot services happens here,
// in this order, and then boot services are left behind for good (only runtime services remain, boot/efi/runtime.h):
//   banner on ConOut -> LoadedImage (image base/size) -> paging check (arch_paging_probe().unsupported) ->
//   LoadOptions -> command line -> configuration tables (ACPI RSDP, devicetree, SMBIOS 3) -> GOP framebuffer ->
//   runtime services table and Memory Attributes table copy ->
//   kernel-owned allocations (map copy storage, reservation storage, stack) -> GetMemoryMap ->
//   ExitBootServices (retried with a fresh map if the key went stale) -> kernel_main on the kernel stack.
#include "arch/arch.h"
#include "boot/efi/efi.h"
#include "boot/efi/gop.h"
#include "boot/efi/mat.h"
#include "boot/handoff.h"
#include "boot/kernel.h"
#include "mm/firmware_map.h"

// Room for descriptors the firmware adds between sizing and fetching the map (our own allocations split
// regions: each can add two descriptors) and between a failed ExitBootServices and the retry.
#define MAP_SLACK_DESCRIPTORS 32u
#define KERNEL_STACK_BYTES (64u * 1024u)
#define RESERVATION_STORAGE_BYTES (4u * EFI_PAGE_SIZE)
// A Memory Attributes table larger than this is not believed (OVMF's has a few dozen 48-byte entries).
#define MAT_COPY_MAX_BYTES (1024u * 1024u)

static boot_handoff g_handoff;
static efi_system_table *g_st;

static void con_print(const char *text) {
  // ConOut wants UCS-2 with CR LF; convert in small chunks.
  efi_char16 buf[96];
  uint32_t n = 0;
  for (const char *p = text;; p++) {
    if (*p == '\n') buf[n++] = '\r';
    if (*p) buf[n++] = (efi_char16)(uint8_t)*p;
    if (!*p || n >= 90) {
      buf[n] = 0;
      g_st->con_out->output_string(g_st->con_out, buf);
      n = 0;
      if (!*p) return;
    }
  }
}

static void con_hex(uint64_t v) {
  char s[19] = "0x";
  for (int i = 0; i < 16; i++) s[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
  s[18] = 0;
  con_print(s);
}

// Fails the boot before ExitBootServices: the message goes to ConOut and the run ends with status 2.
_Noreturn static void efi_fail(const char *what, efi_status status) {
  con_print("panic stage=efi reason=");
  con_print(what);
  con_print(" efi_status=");
  con_hex(status);
  con_print("\n");
  arch_exit(2);
}

static int is_printable(uint16_t c) { return c >= 0x20 && c < 0x7f; }

// LoadOptions as a command line when they are printable UCS-2 text (a shell or boot entry passed one).
// Firmware boot entries may carry binary OptionalData; anything unprintable is ignored. The first word is the
// image path by convention when a shell passes options, so it is dropped if it ends in ".efi".
static int cmdline_from_load_options(const efi_loaded_image *image) {
  const uint16_t *w = image->load_options;
  uint32_t count = image->load_options_size / 2;
  if (!w || count == 0) return 0;
  while (count && w[count - 1] == 0) count--;
  if (count == 0) return 0;
  for (uint32_t i = 0; i < count; i++) {
    if (!is_printable(w[i])) return 0;
  }
  uint32_t start = 0;
  uint32_t first_end = 0;
  while (first_end < count && w[first_end] != ' ') first_end++;
  if (first_end >= 4) {
    const uint16_t *e = &w[first_end - 4];
    if (e[0] == '.' && (e[1] | 0x20) == 'e' && (e[2] | 0x20) == 'f' && (e[3] | 0x20) == 'i') {
      start = first_end;
      while (start < count && w[start] == ' ') start++;
    }
  }
  uint32_t n = 0;
  for (uint32_t i = start; i < count && n + 1 < BOOT_CMDLINE_MAX; i++) g_handoff.cmdline[n++] = (char)w[i];
  g_handoff.cmdline[n] = 0;
  return 1;
}

// \EFI\BOOT\cmdline on the volume the image was loaded from (the runner writes it; section 13.4/13.5).
static void cmdline_from_file(efi_handle image_handle, const efi_loaded_image *image) {
  efi_boot_services *bs = g_st->boot_services;
  efi_guid fs_guid = EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID;
  efi_simple_file_system *fs = 0;
  (void)image_handle;
  if (EFI_IS_ERROR(bs->handle_protocol(image->device_handle, &fs_guid, (void **)&fs)) || !fs) return;
  efi_file *root = 0;
  if (EFI_IS_ERROR(fs->open_volume(fs, &root)) || !root) return;
  static const efi_char16 path[] = u"\\EFI\\BOOT\\cmdline";
  efi_file *file = 0;
  if (!EFI_IS_ERROR(root->open(root, &file, path, EFI_FILE_MODE_READ, 0)) && file) {
    efi_uintn size = BOOT_CMDLINE_MAX - 1;
    char buf[BOOT_CMDLINE_MAX];
    if (!EFI_IS_ERROR(file->read(file, &size, buf))) {
      uint32_t n = 0;
      for (efi_uintn i = 0; i < size && n + 1 < BOOT_CMDLINE_MAX; i++) {
        char c = buf[i];
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
        if (c >= 0x20 && c < 0x7f) g_handoff.cmdline[n++] = c;
      }
      while (n && g_handoff.cmdline[n - 1] == ' ') n--;
      g_handoff.cmdline[n] = 0;
      g_handoff.cmdline_source = "file";
    }
    file->close(file);
  }
  root->close(root);
}

#ifdef KERNEL_TEST_HOOKS
static int cmdline_has_word(const char *line, const char *word) {
  for (const char *p = line; *p;) {
    while (*p == ' ') p++;
    const char *w = word;
    const char *q = p;
    while (*w && *q == *w) q++, w++;
    if (!*w && (*q == ' ' || !*q)) return 1;
    while (*p && *p != ' ') p++;
  }
  return 0;
}
#endif

static phys_addr_t allocate_loader_pages(uint64_t bytes, const char *what) {
  efi_physical_address addr = 0;
  efi_uintn pages = (bytes + EFI_PAGE_SIZE - 1) / EFI_PAGE_SIZE;
  efi_status s = g_st->boot_services->allocate_pages(EFI_ALLOCATE_ANY_PAGES, EFI_LOADER_DATA, pages, &addr);
  if (EFI_IS_ERROR(s)) efi_fail(what, s);
  return addr;
}

static int guid_equal(const efi_guid *a, const efi_guid *b) {
  const uint8_t *x = (const uint8_t *)a, *y = (const uint8_t *)b;
  for (uint32_t i = 0; i < sizeof(efi_guid); i++) {
    if (x[i] != y[i]) return 0;
  }
  return 1;
}

// The table the configuration table (UEFI 2.10 section 4.6) names by `guid`, or NULL.
static const void *configuration_table_find(const efi_system_table *st, efi_guid guid) {
  const efi_configuration_table *t = st->configuration_table;
  for (efi_uintn i = 0; t && i < st->number_of_table_entries; i++) {
    if (guid_equal(&t[i].vendor_guid, &guid)) return t[i].vendor_table;
  }
  return 0;
}

// The EFI_MEMORY_ATTRIBUTES_TABLE (section 4.6.4), or NULL.
static const void *find_memory_attributes_table(const efi_system_table *st) {
  return configuration_table_find(st, (efi_guid)EFI_MEMORY_ATTRIBUTES_TABLE_GUID);
}

// Copies the Memory Attributes table into LoaderData pages the kernel keeps (the firmware installs it in memory
// reclaim may free). A table whose header is invalid or implausibly large is left out: the kernel then maps
// runtime code without it (boot/identity_ranges.h), and memory_bringup logs why.
static void copy_memory_attributes_table(void) {
  const void *mat = find_memory_attributes_table(g_st);
  if (!mat) return;
  uint64_t bytes = efi_mat_table_bytes(mat);
  if (bytes == 0 || bytes > MAT_COPY_MAX_BYTES) {
    con_print("efi: ignoring an invalid Memory Attributes table\n");
    return;
  }
  g_handoff.memory_attributes_storage_bytes = (bytes + EFI_PAGE_SIZE - 1) & ~(uint64_t)(EFI_PAGE_SIZE - 1);
  g_handoff.memory_attributes = allocate_loader_pages(g_handoff.memory_attributes_storage_bytes,
                                                      "allocate_pages(memory attributes)");
  const uint8_t *src = mat;
  uint8_t *dst = (uint8_t *)(uintptr_t)g_handoff.memory_attributes;
  for (uint64_t i = 0; i < bytes; i++) dst[i] = src[i];
  g_handoff.memory_attributes_bytes = bytes;
}

// GetMemoryMap with the standard grow-and-retry loop (section 7.2): the size it reports grows when our own
// pool allocation splits a region, so allocate with slack and try again until it fits.
static void fetch_memory_map(void **buffer, efi_uintn *capacity, efi_uintn *map_key) {
  efi_boot_services *bs = g_st->boot_services;
  for (;;) {
    efi_uintn size = *capacity;
    efi_uintn desc_size = 0;
    uint32_t desc_version = 0;
    efi_status s = bs->get_memory_map(&size, *buffer, map_key, &desc_size, &desc_version);
    if (s == EFI_SUCCESS) {
      g_handoff.memory_map = *buffer;
      g_handoff.memory_map_bytes = size;
      g_handoff.descriptor_size = (uint32_t)desc_size;
      g_handoff.descriptor_version = desc_version;
      return;
    }
    if (s != EFI_BUFFER_TOO_SMALL) efi_fail("get_memory_map", s);
    if (*buffer) bs->free_pool(*buffer);
    *capacity = size + MAP_SLACK_DESCRIPTORS * (desc_size ? desc_size : sizeof(mm_efi_descriptor));
    s = bs->allocate_pool(EFI_LOADER_DATA, *capacity, buffer);
    if (EFI_IS_ERROR(s)) efi_fail("allocate_pool(memory map)", s);
  }
}

static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}

// The configuration table (section 4.6) names the platform's tables by GUID. Only their addresses are taken here;
// the kernel validates the contents after ExitBootServices (platform/). The devicetree's size is read now from its
// header (Devicetree Specification 5.2: magic 0xd00dfeed, totalsize at offset 4, both big endian) because the
// kernel must reserve the blob before anything could reuse its memory; a blob without the magic keeps size 0 and
// the kernel reports it as unreadable.
static void capture_configuration_tables(void) {
  g_handoff.acpi_rsdp = (phys_addr_t)(uintptr_t)configuration_table_find(g_st, (efi_guid)EFI_ACPI_20_TABLE_GUID);
  g_handoff.smbios3 = (phys_addr_t)(uintptr_t)configuration_table_find(g_st, (efi_guid)EFI_SMBIOS3_TABLE_GUID);
  const uint8_t *dtb = configuration_table_find(g_st, (efi_guid)EFI_DTB_TABLE_GUID);
  if (dtb) {
    g_handoff.devicetree = (phys_addr_t)(uintptr_t)dtb;
    g_handoff.devicetree_bytes = be32(dtb) == 0xd00dfeedu ? be32(dtb + 4) : 0;
  }
}

_Noreturn static void enter_kernel(void *arg) { kernel_main((const boot_handoff *)arg); }

efi_status EFIAPI efi_main(efi_handle image_handle, efi_system_table *system_table) {
  g_st = system_table;
  g_handoff.cycles_at_entry = arch_cycles();
  efi_boot_services *bs = system_table->boot_services;
  con_print("handoff kernel (");
  con_print(arch_name());
  con_print(") booting under UEFI\n");
  // The firmware's 5-minute watchdog (section 7.5) must not fire during a long debug session.
  bs->set_watchdog_timer(0, 0, 0, 0);

  efi_guid li_guid = EFI_LOADED_IMAGE_PROTOCOL_GUID;
  efi_loaded_image *image = 0;
  efi_status s = bs->handle_protocol(image_handle, &li_guid, (void **)&image);
  if (EFI_IS_ERROR(s) || !image) efi_fail("handle_protocol(loaded_image)", s);
  g_handoff.image_base = (phys_addr_t)(uintptr_t)image->image_base;
  g_handoff.image_size = image->image_size;
  con_print("image_base=");
  con_hex(g_handoff.image_base);
  con_print(" (gdb: add-symbol-file with this base, see README)\n");

  // Paging is switched after ExitBootServices, where a refusal could no longer be shown: ask now whether the
  // CPU and the firmware's translation regime allow it (AArch64: 4 KiB granule, little-endian tables).
  const char *unsupported = arch_paging_probe().unsupported;
  if (unsupported) efi_fail(unsupported, EFI_UNSUPPORTED);

  g_handoff.cmdline_source = "none";
  if (cmdline_from_load_options(image)) {
    g_handoff.cmdline_source = "load_options";
  } else {
    cmdline_from_file(image_handle, image);
  }
  // From here a failure may use QEMU's exit device if the command line asks for it (`exit=qemu`).
  if (kernel_parse_cmdline(g_handoff.cmdline).exit_qemu) arch_exit_set_mode(ARCH_EXIT_QEMU);
#ifdef KERNEL_TEST_HOOKS
  // Test builds only: `selftest.va_bits_32` makes the AArch64 tables translate 32 bits of VA (a level-1 root)
  // where the firmware's translate more (a level-0 root), as after U-Boot, so the switch must cope.
  if (cmdline_has_word(g_handoff.cmdline, "selftest.va_bits_32")) arch_paging_request_va_bits(32);
#endif

  capture_configuration_tables();

  efi_guid gop_guid = EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID;
  efi_graphics_output *gop = 0;
  if (!EFI_IS_ERROR(bs->locate_protocol(&gop_guid, 0, (void **)&gop)) && gop) {
    efi_framebuffer fb = efi_gop_framebuffer(gop->mode);  // none for a blit-only mode (section 12.9)
    g_handoff.framebuffer_base = fb.base;
    g_handoff.framebuffer_size = fb.size;
    g_handoff.framebuffer_width = fb.width;
    g_handoff.framebuffer_height = fb.height;
    g_handoff.framebuffer_pixels_per_scan_line = fb.pixels_per_scan_line;
    g_handoff.framebuffer_red_mask = fb.red_mask;
    g_handoff.framebuffer_green_mask = fb.green_mask;
    g_handoff.framebuffer_blue_mask = fb.blue_mask;
  }

  // Runtime services stay callable after ExitBootServices (UEFI 2.10 4.5, 8); the kernel calls them in physical
  // mode (boot/efi/runtime.h).
  g_handoff.runtime_services = (phys_addr_t)(uintptr_t)system_table->runtime_services;
  copy_memory_attributes_table();
#ifdef KERNEL_TEST_HOOKS
  // Test builds only: `efi.bad_mat` gives the copied table a version no specification defines, so the kernel
  // must ignore it with a warning and map runtime code without it (read-write-execute), and GetTime must still work.
  if (cmdline_has_word(g_handoff.cmdline, "efi.bad_mat") && g_handoff.memory_attributes_bytes) {
    ((efi_memory_attributes_table *)(uintptr_t)g_handoff.memory_attributes)->version = 0xbad;
  }
#endif

  // Size the kernel-owned storage from the current map, before the final GetMemoryMap: these allocations
  // change the map, which the slack absorbs.
  void *map = 0;
  efi_uintn capacity = 0, map_key = 0;
  fetch_memory_map(&map, &capacity, &map_key);
  uint64_t copy_bytes = mm_firmware_map_storage_bytes(g_handoff.memory_map_bytes +
                                                          (uint64_t)MAP_SLACK_DESCRIPTORS * g_handoff.descriptor_size,
                                                      g_handoff.descriptor_size);
  if (copy_bytes == 0) efi_fail("descriptor_size", EFI_UNSUPPORTED);
  g_handoff.map_storage_bytes = (copy_bytes + EFI_PAGE_SIZE - 1) & ~(uint64_t)(EFI_PAGE_SIZE - 1);
  g_handoff.map_storage = allocate_loader_pages(g_handoff.map_storage_bytes, "allocate_pages(map copy)");
  g_handoff.reservation_storage_bytes = RESERVATION_STORAGE_BYTES;
  g_handoff.reservation_storage = allocate_loader_pages(RESERVATION_STORAGE_BYTES, "allocate_pages(reservations)");
  g_handoff.stack_size = KERNEL_STACK_BYTES;
  g_handoff.stack_base = allocate_loader_pages(KERNEL_STACK_BYTES, "allocate_pages(stack)");

  con_print("exiting boot services\n");
  fetch_memory_map(&map, &capacity, &map_key);
  // ExitBootServices fails with EFI_INVALID_PARAMETER when the map changed since map_key was issued
  // (section 7.4); after a failed attempt only GetMemoryMap may be called, into the buffer we already have.
#ifdef KERNEL_TEST_HOOKS
  // Test builds only: `efi.stale_map_key` presents an outdated key once, so the boot test exercises the retry.
  efi_uintn stale = cmdline_has_word(g_handoff.cmdline, "efi.stale_map_key") ? 1 : 0;
#else
  efi_uintn stale = 0;
#endif
  for (;;) {
    g_handoff.exit_attempts++;
    s = bs->exit_boot_services(image_handle, map_key + stale);
    stale = 0;
    if (s == EFI_SUCCESS) break;
    // After the first ExitBootServices call only GetMemoryMap may be used (section 7.4): no ConOut, so a
    // failure from here on ends the run with status 2 and no message.
    if (g_handoff.exit_attempts >= 8) arch_exit(2);
    efi_uintn size = capacity, desc_size = 0;
    uint32_t desc_version = 0;
    s = bs->get_memory_map(&size, map, &map_key, &desc_size, &desc_version);
    if (EFI_IS_ERROR(s)) arch_exit(2);
    g_handoff.memory_map_bytes = size;
    g_handoff.descriptor_size = (uint32_t)desc_size;
    g_handoff.descriptor_version = desc_version;
  }
  // No boot services from here on; ConOut is gone too.
  g_st = 0;
  arch_call_on_stack(g_handoff.stack_base + g_handoff.stack_size, enter_kernel, &g_handoff);
}
