"""Commands that ask a disk about itself: ``smartctl -a /dev/sda`` is not a read of the disk.

A raw disk path (``/dev/sda``, ``/dev/nvme0n1``) named on a command line is every file on
that disk, other users' and the host's: ``default`` denies it as a path. Some programs
take the path only to ask the drive or the kernel about the device (its health, identity,
temperature, partition table or size, through the driver's ioctls) and read or write none
of its blocks: :func:`asks_the_disk` says when ``argv`` is one of those, so that the path
check can leave its raw disk operands out. Whatever else the command names is still
checked.

Only the read-only forms count; what changes a drive (``hdparm --security-erase``,
``nvme format``, ``smartctl -s off``), reads its blocks (``hdparm --read-sector``,
``nvme read``) or changes a filesystem (``tune2fs -O``) stays a use of the raw disk.
"""

from __future__ import annotations

from typing import Final

from .. import saferegex

__all__ = ["asks_the_disk", "is_raw_disk"]

#: the host's block devices by their kernel names and the udev links to them
_RAW_DISK: Final = saferegex.compile(
    r"^/dev/(sd[a-z]+\d*|nvme\d+(n\d+(p\d+)?)?|xvd[a-z]+\d*|vd[a-z]+\d*|hd[a-z]+\d*|"
    r"mmcblk\d+(p\d+)?|dm-\d+|mapper/[^/\s]+|disk/by-[a-z]+/[^/\s]+|sg\d+|bsg/[^/\s]+)$"
)

#: smartctl's options that change the drive's settings (everything else reports, or
#: starts the drive's own self-test, which reads no data to the host)
_SMARTCTL_CHANGES: Final = frozenset({"-s", "--smart", "-o", "--offlineauto", "-S",
                                      "--saveauto", "--set", "-X", "--abort"})  # fmt: skip
#: hdparm's read-only reports: identity, power state, geometry, read timings
_HDPARM_QUERIES: Final = frozenset("iICgHtTv")
_HDPARM_LONG: Final = frozenset({"--direct", "--Istdout", "-h", "--help"})
#: nvme-cli's reports
_NVME_QUERIES: Final = frozenset({
    "list", "list-subsys", "list-ns", "list-ctrl", "smart-log", "id-ctrl", "id-ns",
    "id-ns-granularity", "id-iocs", "id-domain", "error-log", "fw-log", "effects-log",
    "self-test-log", "telemetry-log", "endurance-log", "show-regs", "show-topology",
    "primary-ctrl-caps", "sanitize-log", "version", "help",
})  # fmt: skip
#: programs that only report on a device, whatever their options
_REPORTERS: Final = frozenset({"lsblk", "blkid", "udevadm", "dumpe2fs", "xfs_info",
                               "sg_inq", "sg_readcap", "sg_vpd", "lsscsi"})  # fmt: skip


def is_raw_disk(path: str) -> bool:
    """Whether ``path`` names a block device of the host (a whole disk or a partition)."""
    return _RAW_DISK.match(path) is not None


def _options(args: list[str]) -> list[str]:
    return [a.split("=", 1)[0] for a in args if a.startswith("-") and len(a) > 1]


def asks_the_disk(argv: list[str]) -> bool:
    """Whether ``argv`` only asks a disk (or the kernel) about the device: its health,
    identity, power state, partition table or size, none of its blocks read or written."""
    if not argv:
        return False
    prog = argv[0].rsplit("/", 1)[-1]
    args = argv[1:]
    opts = _options(args)
    if prog in _REPORTERS:
        return not (prog == "udevadm" and args[:1] != ["info"])
    if prog == "smartctl":
        return not any(o in _SMARTCTL_CHANGES for o in opts)
    if prog == "hdparm":
        return bool(opts) and all(
            o in _HDPARM_LONG or (not o.startswith("--") and set(o[1:]) <= _HDPARM_QUERIES)
            for o in opts
        )
    if prog == "nvme":
        return bool(args) and args[0] in _NVME_QUERIES
    if prog == "tune2fs":
        return opts == ["-l"]
    if prog == "blockdev":
        return bool(opts) and all(o.startswith("--get") or o == "--report" for o in opts)
    if prog in ("fdisk", "sfdisk", "gdisk"):
        return bool(opts) and all(o in ("-l", "--list", "-s", "--show-size", "-d", "--dump")
                                  for o in opts)  # fmt: skip
    if prog == "parted":
        words = [a for a in args if not a.startswith("-")]
        return "-l" in opts or "--list" in opts or (len(words) == 2 and words[1] == "print")
    return False
