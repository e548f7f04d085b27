"""What an uploaded file is, by its content, and the stored form of it.

The name and the browser's content type are the uploader's word and are not trusted: the first bytes decide
(filetype), images must open in Pillow with a photo's pixel count, Office files must have their format's inner
parts. Images are re-encoded by the worker (`reencode`), so what is shown carries no EXIF (GPS!), ICC or comment
of the original.
"""

import io
import logging
import math
import re
import threading
import unicodedata
import warnings
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

from .models import Kind

logger = logging.getLogger(__name__)
SNIFF_BYTES = 8192
PILLOW_FORMATS = {"jpg": "JPEG", "png": "PNG", "webp": "WEBP"}
# An OOXML file is a zip holding its format's main part; which one decides the type (a zip of anything else
# is refused). The types' MIME names as filetype knows them.
OFFICE_PARTS = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}
OFFICE_TYPES = {kind.extension: kind.mime for kind in filetype.types if kind.extension in OFFICE_PARTS.values()}
# PDF, and the Office 97-2003 OLE compound files, which filetype tells apart by their inner streams.
PLAIN_DOCUMENTS = {"pdf", "doc", "xls", "ppt"}
_FOLDER_OR_CONTROL = re.compile(r"[\\/\x00-\x1f\x7f]")


@dataclass
class Inspected:
    kind: str
    extension: str
    mime_type: str
    display: bytes | None = None  # images, once re-encoded (`reencode`): the picture we keep
    thumbnail: bytes | None = None
    width: int | None = None
    height: int | None = None


def display_name(raw: str) -> str:
    """The uploader's file name made safe to show: no folders, no control or direction marks, not too long."""
    name = _FOLDER_OR_CONTROL.sub("/", raw or "").rsplit("/", 1)[-1]
    # Format marks change how a name reads (a right-to-left override makes "gpj.exe" look like "exe.jpg"), or
    # are invisible: none of them belongs in a name shown to people.
    name = "".join(ch for ch in name if unicodedata.category(ch) not in {"Cf", "Cc", "Zl", "Zp"})
    name = " ".join(name.split()).strip(" .")
    if len(name) > 100:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 100 - len(extension) - 2] + "…." + extension) if dot and len(extension) <= 10 else name[:100]
    return name or _("file")


def refuse(name, reason):
    return ValidationError(_("“%(name)s” was not saved: %(reason)s") % {"name": name, "reason": reason})


def inspect(upload, name) -> Inspected:
    """Check one uploaded file by its content; raise ValidationError naming the file and the reason."""
    if not upload.size:
        raise refuse(name, _("the file is empty."))
    limit = settings.EVIDENCE_MAX_FILE_MB * 1024 * 1024
    if upload.size > limit:
        too_large = _("it is larger than %(limit)s MB (a photo or document may be up to that).")
        raise refuse(name, too_large % {"limit": settings.EVIDENCE_MAX_FILE_MB})
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    guessed = filetype.guess(head)
    extension = guessed.extension if guessed else ""
    if extension in PILLOW_FORMATS:
        return _inspect_image(upload, name, extension)
    if extension in {"heic", "avif"}:
        raise refuse(
            name,
            _(
                "this phone photo format (HEIC) cannot be read here: choose “Most Compatible” (JPEG) in the "
                "camera settings, or send the photo as JPEG."
            ),
        )
    if extension in PLAIN_DOCUMENTS:
        return Inspected(kind=Kind.DOCUMENT, extension=extension, mime_type=guessed.mime)
    if extension == "zip" or extension in OFFICE_TYPES:
        extension = _office_type(upload, name)
        return Inspected(kind=Kind.DOCUMENT, extension=extension, mime_type=OFFICE_TYPES[extension])
    raise refuse(name, _("only photos (JPEG, PNG, WebP), PDF and Office documents can be attached."))


def _office_type(upload, name) -> str:
    """docx, xlsx or pptx, read from the archive's directory (nothing is unpacked)."""
    try:
        with zipfile.ZipFile(upload) as archive:
            parts = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        parts = set()
    finally:
        upload.seek(0)
    found = [extension for part, extension in OFFICE_PARTS.items() if part in parts]
    if "[Content_Types].xml" not in parts or len(found) != 1:
        raise refuse(name, _("it is not a readable Word, Excel or PowerPoint document."))
    return found[0]


_switch = threading.Lock()


@contextmanager
def _truncated_images_refused():
    """WeasyPrint, once imported, makes Pillow fill a cut-off picture with grey (a process-wide switch).
    A photo is decoded with the switch off; it is put back for the PDFs. One check at a time per process
    holds the switch (threaded workers): two overlapping checks would otherwise restore each other's value."""
    with _switch:
        previous, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def _inspect_image(upload, name, extension) -> Inspected:
    """Only the header is read here (the upload's request stays fast and small): a picture claiming more pixels
    than a photo has is refused before anything is decoded. Decoding, and so a damaged picture, is the
    worker's (`reencode`)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(upload, formats=[PILLOW_FORMATS[extension]]) as probe:
                width, height = probe.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise refuse(name, _("the picture is damaged or incomplete.")) from None
    finally:
        upload.seek(0)
    if width * height > settings.EVIDENCE_MAX_IMAGE_PIXELS:
        raise _too_many_pixels(name)
    mime_type = Image.MIME[PILLOW_FORMATS[extension]]
    return Inspected(kind=Kind.IMAGE, extension=extension, mime_type=mime_type, width=width, height=height)


def reencode(stored, name, extension) -> Inspected:
    """The photo as we keep and show it: decoded completely, upright, at most EVIDENCE_IMAGE_MAX_SIDE on the
    long side, with a thumbnail and no metadata. ValidationError when it cannot be decoded."""
    damaged = refuse(name, _("the picture is damaged or incomplete."))
    try:
        with warnings.catch_warnings(), _truncated_images_refused():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(stored, formats=[PILLOW_FORMATS[extension]]) as image:
                width, height = image.size
                if width * height > settings.EVIDENCE_MAX_IMAGE_PIXELS:
                    raise _too_many_pixels(name)
                # A JPEG decodes straight at 1/2, 1/4 or 1/8 scale: a 12 MP photo costs a quarter of the time
                # and memory. The long side is the same whichever way up, so turning it upright comes after.
                scale = settings.EVIDENCE_IMAGE_MAX_SIDE / max(width, height)
                if scale < 1:
                    image.draft("RGB", (math.ceil(width * scale), math.ceil(height * scale)))
                image.load()
                # Bilinear: Pillow's downscaling filters all average over the source, and this one is 3x faster.
                image.thumbnail((settings.EVIDENCE_IMAGE_MAX_SIDE,) * 2, Image.Resampling.BILINEAR)
                return _reencoded(ImageOps.exif_transpose(image))
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels(name) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise damaged from None
    except Exception:  # a decoder's other complaints (struct.error, IndexError...): still a damaged picture
        logger.warning("picture %r could not be decoded", name, exc_info=True)
        raise damaged from None


def _too_many_pixels(name):
    return refuse(
        name,
        _("the picture has too many pixels to be a photo (over %(megapixels)s megapixels).")
        % {"megapixels": settings.EVIDENCE_MAX_IMAGE_PIXELS // 1_000_000},
    )


def _reencoded(picture) -> Inspected:
    keeps_alpha = picture.mode in ("RGBA", "LA", "PA") or (picture.mode == "P" and "transparency" in picture.info)
    picture = picture.convert("RGBA" if keeps_alpha else "RGB")
    small = picture.copy()
    small.thumbnail((settings.EVIDENCE_THUMBNAIL_SIDE,) * 2, Image.Resampling.BICUBIC)
    out_extension, out_format, mime = ("png", "PNG", "image/png") if keeps_alpha else ("jpg", "JPEG", "image/jpeg")
    return Inspected(
        kind=Kind.IMAGE,
        extension=out_extension,
        mime_type=mime,
        display=_encode(picture, out_format),
        thumbnail=_encode(small, out_format),
        width=picture.width,
        height=picture.height,
    )


def _encode(picture, image_format) -> bytes:
    picture.info = {}  # nothing of the original's metadata (EXIF, ICC, comments) is written back
    buffer = io.BytesIO()
    options = {"quality": 82} if image_format == "JPEG" else {}
    picture.save(buffer, image_format, **options)
    return buffer.getvalue()
