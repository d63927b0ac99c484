"""The fixed GUIDs of the disk images (//:disk_x86_64, //:disk_aarch64), shared by the images and their tests.

Drawn at random once and never changed, so the images are reproducible: arch -> (DiskGUID, the ESP's
UniquePartitionGUID), upper case as sfdisk prints them.
"""

DISK_GUIDS = {
    "x86_64": ("27A3BA0A-929D-4210-AF31-8DF51058EA65", "BFA6FE9C-CA11-46C3-B621-5FE6F709DD5D"),
    "aarch64": ("F48398F5-3466-452D-94A1-CCE7E536A568", "1A7CF62A-5825-43A3-8336-866EF5C107A0"),
}
