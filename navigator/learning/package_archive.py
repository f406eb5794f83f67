"""A course package as a zip archive: read an upload safely, write a download."""

from pathlib import PurePosixPath

MAX_ZIP_FILES = 3000
MAX_ZIP_BYTES = 64 * 1024 * 1024


class BadArchive(ValueError):
    """An uploaded package archive that cannot be read safely."""


def read_zip(data: bytes) -> dict[str, bytes]:
    """The files of a package zip, path → bytes; one top-level folder, if any, is dropped."""
    import io
    import zipfile

    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        entries = [i for i in archive.infolist() if not i.is_dir()]
    except (zipfile.BadZipFile, OSError) as exc:
        raise BadArchive("not a zip file") from exc
    if len(entries) > MAX_ZIP_FILES:
        raise BadArchive(f"more than {MAX_ZIP_FILES} files")
    if sum(i.file_size for i in entries) > MAX_ZIP_BYTES:
        raise BadArchive("larger than 64 MB when unpacked")
    names = []
    for info in entries:
        parts = PurePosixPath(info.filename).parts
        if info.filename.startswith("/") or ".." in parts or "\\" in info.filename:
            raise BadArchive(f"unsafe path in archive: {info.filename}")
        names.append(parts)
    tops = {p[0] for p in names}
    strip = len(tops) == 1 and all(len(p) > 1 for p in names)
    files = {}
    for info, parts in zip(entries, names, strict=True):
        rel = "/".join(parts[1:] if strip else parts)
        if not rel.startswith("__MACOSX/") and not PurePosixPath(rel).name.startswith("."):
            files[rel] = archive.read(info)
    return files


def write_zip(files: dict[str, bytes], folder: str) -> bytes:
    """A zip of package files under one folder named after the course."""
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for rel, data in sorted(files.items()):
            info = zipfile.ZipInfo(f"{folder}/{rel}", date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()

