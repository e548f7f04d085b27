"""Files as phones and desks make them, built in memory."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

GPS_IFD = 0x8825
ORIENTATION = 0x0112


def jpeg(size=(2400, 1800), *, orientation=1, gps=True, color=(200, 40, 40)) -> bytes:
    """A camera photo: EXIF with its orientation and (by default) where it was taken."""
    picture = Image.new("RGB", size, color)
    picture.paste((20, 20, 220), (0, 0, size[0] // 4, size[1] // 4))  # a corner to see the rotation by
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[0x010F] = "PhoneMaker"
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (36.0, 4.0, 12.5), 3: "E", 4: (120.0, 22.0, 48.1)}
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def png(size=(400, 300), mode="RGBA") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (10, 120, 10, 128) if mode == "RGBA" else (10, 120, 10)).save(buffer, "PNG")
    return buffer.getvalue()


def webp(size=(800, 600)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (90, 90, 200)).save(buffer, "WEBP")
    return buffer.getvalue()


PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def office(main_part="word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("_rels/.rels", "<Relationships/>")
        archive.writestr(main_part, "<document/>")
    return buffer.getvalue()


def plain_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("payload.exe", b"MZ" + b"\0" * 100)
    return buffer.getvalue()


# An OLE compound file with the Word 97 stream signature filetype looks for.
LEGACY_DOC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + b"\xec\xa5\xc1\x00" + b"\0" * 1024
EXECUTABLE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\0" * 48 + b"PE\0\0" + b"\0" * 512
SVG_WITH_SCRIPT = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'


def bomb() -> bytes:
    """A PNG that claims 30000 x 30000 pixels in a few hundred bytes."""
    buffer = io.BytesIO()
    Image.new("1", (30000, 30000)).save(buffer, "PNG")
    return buffer.getvalue()


def corrupt_jpeg() -> bytes:
    whole = jpeg(size=(800, 600), gps=False)
    return whole[: len(whole) // 3]  # the camera app died mid-write


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)
