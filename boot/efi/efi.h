// efi.h: the subset of UEFI this kernel uses, written from the UEFI Specification 2.10 (August 2022).
//
// Only what boot/efi/ calls is defined; every table keeps the specification's member order so the offsets are
// right, with unused members typed as opaque function pointers. Section numbers refer to UEFI 2.10.
// Calling convention: the x86_64-unknown-windows and aarch64-unknown-windows targets already use the UEFI
// ABI (Microsoft x64 / AAPCS64, section 2.3.4 and 2.3.6), so EFIAPI is empty.
#ifndef BOOT_EFI_EFI_H
#define BOOT_EFI_EFI_H

#include <stdint.h>

#define EFIAPI

typedef uint64_t efi_uintn;  // UINTN: both supported targets are 64-bit
typedef uint64_t efi_status;
typedef void *efi_handle;
typedef uint16_t efi_char16;  // UCS-2, -fshort-wchar
typedef uint64_t efi_physical_address;

// Status codes, Appendix D. Error codes have the top bit set.
#define EFI_ERROR_BIT ((efi_status)1 << 63)
#define EFI_SUCCESS ((efi_status)0)
#define EFI_LOAD_ERROR (EFI_ERROR_BIT | 1)
#define EFI_INVALID_PARAMETER (EFI_ERROR_BIT | 2)
#define EFI_UNSUPPORTED (EFI_ERROR_BIT | 3)
#define EFI_BUFFER_TOO_SMALL (EFI_ERROR_BIT | 5)
#define EFI_NOT_FOUND (EFI_ERROR_BIT | 14)
#define EFI_ABORTED (EFI_ERROR_BIT | 21)
#define EFI_IS_ERROR(s) (((s) & EFI_ERROR_BIT) != 0)

// EFI_GUID, section 2.3.1 (Table 2-4).
typedef struct efi_guid {
  uint32_t data1;
  uint16_t data2;
  uint16_t data3;
  uint8_t data4[8];
} efi_guid;

// EFI_TABLE_HEADER, section 4.2.
typedef struct efi_table_header {
  uint64_t signature;
  uint32_t revision;
  uint32_t header_size;
  uint32_t crc32;
  uint32_t reserved;
} efi_table_header;

typedef efi_status(EFIAPI *efi_unused_fn)(void);

// EFI_SIMPLE_TEXT_OUTPUT_PROTOCOL, section 12.4.
typedef struct efi_simple_text_output efi_simple_text_output;
struct efi_simple_text_output {
  efi_unused_fn reset;
  efi_status(EFIAPI *output_string)(efi_simple_text_output *self, const efi_char16 *string);
  efi_unused_fn test_string;
  efi_unused_fn query_mode;
  efi_unused_fn set_mode;
  efi_unused_fn set_attribute;
  efi_unused_fn clear_screen;
  efi_unused_fn set_cursor_position;
  efi_unused_fn enable_cursor;
  void *mode;
};

// EFI_ALLOCATE_TYPE and EFI_MEMORY_TYPE, section 7.2. The memory type values are mm/firmware_map.h's
// MM_EFI_* constants (mm/ parses descriptors itself); the two the loader allocates with are named here.
enum { EFI_ALLOCATE_ANY_PAGES = 0, EFI_ALLOCATE_MAX_ADDRESS = 1, EFI_ALLOCATE_ADDRESS = 2 };
enum { EFI_LOADER_DATA = 2 };
#define EFI_PAGE_SIZE 4096u

// EFI_BOOT_SERVICES, section 4.4 (member order per the specification's table).
typedef struct efi_boot_services {
  efi_table_header hdr;
  efi_unused_fn raise_tpl;
  efi_unused_fn restore_tpl;
  efi_status(EFIAPI *allocate_pages)(uint32_t type, uint32_t memory_type, efi_uintn pages,
                                     efi_physical_address *memory);
  efi_status(EFIAPI *free_pages)(efi_physical_address memory, efi_uintn pages);
  efi_status(EFIAPI *get_memory_map)(efi_uintn *memory_map_size, void *memory_map, efi_uintn *map_key,
                                     efi_uintn *descriptor_size, uint32_t *descriptor_version);
  efi_status(EFIAPI *allocate_pool)(uint32_t pool_type, efi_uintn size, void **buffer);
  efi_status(EFIAPI *free_pool)(void *buffer);
  efi_unused_fn create_event;
  efi_unused_fn set_timer;
  efi_unused_fn wait_for_event;
  efi_unused_fn signal_event;
  efi_unused_fn close_event;
  efi_unused_fn check_event;
  efi_unused_fn install_protocol_interface;
  efi_unused_fn reinstall_protocol_interface;
  efi_unused_fn uninstall_protocol_interface;
  efi_status(EFIAPI *handle_protocol)(efi_handle handle, const efi_guid *protocol, void **interface);
  void *reserved;
  efi_unused_fn register_protocol_notify;
  efi_unused_fn locate_handle;
  efi_unused_fn locate_device_path;
  efi_unused_fn install_configuration_table;
  efi_unused_fn load_image;
  efi_unused_fn start_image;
  efi_unused_fn exit;
  efi_unused_fn unload_image;
  efi_status(EFIAPI *exit_boot_services)(efi_handle image_handle, efi_uintn map_key);
  efi_unused_fn get_next_monotonic_count;
  efi_unused_fn stall;
  efi_status(EFIAPI *set_watchdog_timer)(efi_uintn timeout, uint64_t code, efi_uintn data_size, const efi_char16 *data);
  efi_unused_fn connect_controller;
  efi_unused_fn disconnect_controller;
  efi_unused_fn open_protocol;
  efi_unused_fn close_protocol;
  efi_unused_fn open_protocol_information;
  efi_unused_fn protocols_per_handle;
  efi_unused_fn locate_handle_buffer;
  efi_status(EFIAPI *locate_protocol)(const efi_guid *protocol, void *registration, void **interface);
  efi_unused_fn install_multiple_protocol_interfaces;
  efi_unused_fn uninstall_multiple_protocol_interfaces;
  efi_unused_fn calculate_crc32;
  efi_unused_fn copy_mem;
  efi_unused_fn set_mem;
  efi_unused_fn create_event_ex;
} efi_boot_services;

// EFI_TIME and EFI_TIME_CAPABILITIES, section 8.3 (GetTime()).
typedef struct efi_time {
  uint16_t year;  // 1900 - 9999
  uint8_t month;  // 1 - 12
  uint8_t day;    // 1 - 31
  uint8_t hour;
  uint8_t minute;
  uint8_t second;
  uint8_t pad1;
  uint32_t nanosecond;
  int16_t time_zone;  // minutes from UTC, or EFI_UNSPECIFIED_TIMEZONE (0x07FF)
  uint8_t daylight;
  uint8_t pad2;
} efi_time;
_Static_assert(sizeof(efi_time) == 16, "EFI_TIME is 16 bytes (UEFI 2.10, 8.3)");

typedef struct efi_time_capabilities {
  uint32_t resolution;
  uint32_t accuracy;
  uint8_t sets_to_zero;  // BOOLEAN
} efi_time_capabilities;

// EFI_RESET_TYPE, section 8.5.1 (ResetSystem()).
typedef enum efi_reset_type {
  EFI_RESET_COLD = 0,
  EFI_RESET_WARM = 1,
  EFI_RESET_SHUTDOWN = 2,
  EFI_RESET_PLATFORM_SPECIFIC = 3,
} efi_reset_type;

// EFI_RUNTIME_SERVICES, section 4.5 (member order per the specification's table). Signature "RUNTSERV".
#define EFI_RUNTIME_SERVICES_SIGNATURE 0x56524553544e5552ull
typedef struct efi_runtime_services {
  efi_table_header hdr;
  // Time services (8.3)
  efi_status(EFIAPI *get_time)(efi_time *time, efi_time_capabilities *capabilities);
  efi_unused_fn set_time;
  efi_unused_fn get_wakeup_time;
  efi_unused_fn set_wakeup_time;
  // Virtual memory services (8.4)
  efi_status(EFIAPI *set_virtual_address_map)(efi_uintn memory_map_size, efi_uintn descriptor_size,
                                              uint32_t descriptor_version, void *virtual_map);
  efi_unused_fn convert_pointer;
  // Variable services (8.2)
  efi_unused_fn get_variable;
  efi_unused_fn get_next_variable_name;
  efi_unused_fn set_variable;
  // Miscellaneous services (8.5)
  efi_unused_fn get_next_high_monotonic_count;
  void(EFIAPI *reset_system)(efi_reset_type reset_type, efi_status reset_status, efi_uintn data_size, void *reset_data);
  // Capsule services (8.5.3) and QueryVariableInfo (8.2)
  efi_unused_fn update_capsule;
  efi_unused_fn query_capsule_capabilities;
  efi_unused_fn query_variable_info;
} efi_runtime_services;
_Static_assert(sizeof(efi_runtime_services) == 24 + 14 * 8, "EFI_RUNTIME_SERVICES: header + 14 services");

// EFI_CONFIGURATION_TABLE, section 4.6: the system table's configuration_table is an array of these.
typedef struct efi_configuration_table {
  efi_guid vendor_guid;
  void *vendor_table;
} efi_configuration_table;

// EFI_MEMORY_ATTRIBUTES_TABLE, section 4.6.4: the permissions of the runtime images' sections, as
// EFI_MEMORY_DESCRIPTORs (section 7.2) of type EfiRuntimeServicesCode/Data with EFI_MEMORY_RO/XP, at a stride
// of descriptor_size. The table itself is in EfiACPIReclaimMemory or boot-services memory on some firmware, so
// the loader copies it before ExitBootServices (efi_main.c).
#define EFI_MEMORY_ATTRIBUTES_TABLE_GUID {0xdcfa911d, 0x26eb, 0x469f, {0xa2, 0x20, 0x38, 0xb7, 0xdc, 0x46, 0x12, 0x20}}
typedef struct efi_memory_attributes_table {
  uint32_t version;  // 1; 2 since UEFI 2.10 (flags defined)
  uint32_t number_of_entries;
  uint32_t descriptor_size;
  uint32_t flags;  // reserved before 2.10; bit 0 EFI_MEMORY_ATTRIBUTES_FLAGS_RT_FORWARD_CONTROL_FLOW_GUARD
  // EFI_MEMORY_DESCRIPTOR entry[number_of_entries] follows
} efi_memory_attributes_table;
_Static_assert(sizeof(efi_memory_attributes_table) == 16, "the entries follow a 16-byte header (UEFI 2.10, 4.6.4)");

// EFI_SYSTEM_TABLE, section 4.3.
typedef struct efi_system_table {
  efi_table_header hdr;
  efi_char16 *firmware_vendor;
  uint32_t firmware_revision;
  efi_handle console_in_handle;
  void *con_in;
  efi_handle console_out_handle;
  efi_simple_text_output *con_out;
  efi_handle standard_error_handle;
  efi_simple_text_output *std_err;
  efi_runtime_services *runtime_services;
  efi_boot_services *boot_services;
  efi_uintn number_of_table_entries;
  efi_configuration_table *configuration_table;
} efi_system_table;

// Industry-standard configuration tables, section 4.6.1 (Table 4-2) and the EFI DTB table (Embedded Base Boot
// Requirements 2.x, "Devicetree" / Linux's drivers/firmware/efi: b1b621d5-...).
#define EFI_ACPI_20_TABLE_GUID {0x8868e871, 0xe4f1, 0x11d3, {0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81}}
#define EFI_SMBIOS3_TABLE_GUID {0xf2fd1544, 0x9794, 0x4a2c, {0x99, 0x2e, 0xe5, 0xbb, 0xcf, 0x20, 0xe3, 0x94}}
#define EFI_DTB_TABLE_GUID {0xb1b621d5, 0xf19c, 0x41a5, {0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0}}

// EFI_LOADED_IMAGE_PROTOCOL, section 9.1.
#define EFI_LOADED_IMAGE_PROTOCOL_GUID {0x5b1b31a1, 0x9562, 0x11d2, {0x8e, 0x3f, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}}
typedef struct efi_loaded_image {
  uint32_t revision;
  efi_handle parent_handle;
  efi_system_table *system_table;
  efi_handle device_handle;
  void *file_path;
  void *reserved;
  uint32_t load_options_size;
  void *load_options;
  void *image_base;
  uint64_t image_size;
  uint32_t image_code_type;
  uint32_t image_data_type;
  efi_unused_fn unload;
} efi_loaded_image;

// EFI_FILE_PROTOCOL, section 13.5.
typedef struct efi_file efi_file;
struct efi_file {
  uint64_t revision;
  efi_status(EFIAPI *open)(efi_file *self, efi_file **new_handle, const efi_char16 *file_name, uint64_t open_mode,
                           uint64_t attributes);
  efi_status(EFIAPI *close)(efi_file *self);
  efi_unused_fn delete_file;
  efi_status(EFIAPI *read)(efi_file *self, efi_uintn *buffer_size, void *buffer);
  efi_unused_fn write;
  efi_unused_fn get_position;
  efi_unused_fn set_position;
  efi_unused_fn get_info;
  efi_unused_fn set_info;
  efi_unused_fn flush;
};
#define EFI_FILE_MODE_READ 0x1ull

// EFI_SIMPLE_FILE_SYSTEM_PROTOCOL, section 13.4.
#define EFI_SIMPLE_FILE_SYSTEM_PROTOCOL_GUID \
  {0x964e5b22, 0x6459, 0x11d2, {0x8e, 0x39, 0x00, 0xa0, 0xc9, 0x69, 0x72, 0x3b}}
typedef struct efi_simple_file_system efi_simple_file_system;
struct efi_simple_file_system {
  uint64_t revision;
  efi_status(EFIAPI *open_volume)(efi_simple_file_system *self, efi_file **root);
};

// EFI_GRAPHICS_OUTPUT_PROTOCOL, section 12.9.
#define EFI_GRAPHICS_OUTPUT_PROTOCOL_GUID {0x9042a9de, 0x23dc, 0x4a38, {0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a}}
// EFI_GRAPHICS_PIXEL_FORMAT: PixelBltOnly means "this mode has no physical frame buffer" (section 12.9,
// EFI_GRAPHICS_OUTPUT_MODE_INFORMATION); only Blt() can draw and FrameBufferBase is meaningless.
typedef enum efi_graphics_pixel_format {
  EFI_PIXEL_RGB_RESERVED_8BIT_PER_COLOR = 0,
  EFI_PIXEL_BGR_RESERVED_8BIT_PER_COLOR = 1,
  EFI_PIXEL_BIT_MASK = 2,
  EFI_PIXEL_BLT_ONLY = 3,
  EFI_PIXEL_FORMAT_MAX = 4,
} efi_graphics_pixel_format;
typedef struct efi_gop_mode_info {
  uint32_t version;
  uint32_t horizontal_resolution;
  uint32_t vertical_resolution;
  efi_graphics_pixel_format pixel_format;
  uint32_t pixel_masks[4];  // EFI_PIXEL_BITMASK: red, green, blue, reserved
  uint32_t pixels_per_scan_line;
} efi_gop_mode_info;
typedef struct efi_gop_mode {
  uint32_t max_mode;
  uint32_t mode;
  efi_gop_mode_info *info;
  efi_uintn size_of_info;
  efi_physical_address frame_buffer_base;
  efi_uintn frame_buffer_size;
} efi_gop_mode;
typedef struct efi_graphics_output {
  efi_unused_fn query_mode;
  efi_unused_fn set_mode;
  efi_unused_fn blt;
  efi_gop_mode *mode;
} efi_graphics_output;

#endif  // BOOT_EFI_EFI_H
