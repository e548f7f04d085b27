import io

import pytest
from django.core.exceptions import ValidationError
from PIL import Image, ImageFile

from crm.evidence.files import display_name, inspect, reencode

from . import samples


def check(name, content):
    """What becomes of a file: the upload's checks, then (a photo) the worker's re-encoding."""
    upload = samples.upload(name, content)
    inspected = inspect(upload, display_name(name))
    if inspected.kind == "image":
        return reencode(upload, display_name(name), inspected.extension)
    return inspected


def refusal(name, content):
    with pytest.raises(ValidationError) as refused:
        check(name, content)
    return refused.value.messages[0]


def test_a_photo_is_turned_upright_made_smaller_and_loses_its_exif():
    stored = check("IMG_0001.jpg", samples.jpeg(size=(4000, 3000), orientation=6))
    assert stored.kind == "image" and stored.mime_type == "image/jpeg" and stored.extension == "jpg"
    picture = Image.open(io.BytesIO(stored.display))
    assert picture.size == (1200, 1600) == (stored.width, stored.height)  # turned a quarter, long side 1600
    assert not picture.getexif() and "exif" not in picture.info and "icc_profile" not in picture.info
    assert b"PhoneMaker" not in stored.display and b"GPS" not in stored.display
    thumbnail = Image.open(io.BytesIO(stored.thumbnail))
    assert max(thumbnail.size) == 320 and not thumbnail.getexif()


def test_a_small_photo_is_not_made_larger():
    stored = check("small.jpg", samples.jpeg(size=(640, 480)))
    assert (stored.width, stored.height) == (640, 480)


def test_transparent_png_stays_png_and_webp_becomes_jpeg():
    assert check("plan.png", samples.png()).mime_type == "image/png"
    assert check("plan.png", samples.png(mode="RGB")).mime_type == "image/jpeg"
    assert check("shot.webp", samples.webp()).mime_type == "image/jpeg"


@pytest.mark.parametrize(
    ("name", "content", "extension"),
    [
        ("acceptance.pdf", samples.PDF, "pdf"),
        ("quote.docx", samples.office(), "docx"),
        ("prices.xlsx", samples.office("xl/workbook.xml"), "xlsx"),
        ("slides.pptx", samples.office("ppt/presentation.xml"), "pptx"),
        ("old.doc", samples.LEGACY_DOC, "doc"),
        ("named-wrong.jpg", samples.PDF, "pdf"),  # the content decides, not the name
    ],
)
def test_documents_are_kept_as_they_are(name, content, extension):
    stored = check(name, content)
    assert stored.kind == "document" and stored.extension == extension and stored.display is None


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("photo.jpg", samples.EXECUTABLE, "only photos"),
        ("empty.jpg", b"", "empty"),
        ("logo.svg", samples.SVG_WITH_SCRIPT, "only photos"),
        ("bomb.png", samples.bomb(), "too many pixels"),
        ("broken.jpg", samples.corrupt_jpeg(), "damaged"),
        ("archive.docx", samples.plain_zip(), "Word, Excel or PowerPoint"),
        ("notes.txt", "客户要求".encode(), "only photos"),
    ],
)
def test_what_is_not_a_photo_or_document_is_refused_by_name_and_reason(name, content, reason):
    message = refusal(name, content)
    assert message.startswith(f"“{name}” was not saved:") and reason in message


def test_the_upload_reads_only_a_photos_header_and_the_worker_finds_it_damaged(monkeypatch):
    """The request stays fast: a photo is not decoded there (a cut-off one passes); decoding is the worker's."""

    def decoding(self):
        raise AssertionError("the upload's check decoded the picture")

    with monkeypatch.context() as patched:
        patched.setattr(ImageFile.ImageFile, "load", decoding)
        inspected = inspect(samples.upload("broken.jpg", samples.corrupt_jpeg()), "broken.jpg")
        assert (inspected.kind, inspected.extension, inspected.mime_type) == ("image", "jpg", "image/jpeg")
        assert (inspected.width, inspected.height) == (800, 600) and inspected.display is None
        assert "too many pixels" in str(
            pytest.raises(ValidationError, inspect, samples.upload("b.png", samples.bomb()), "b.png").value
        )
    assert "damaged" in refusal("broken.jpg", samples.corrupt_jpeg())


def test_a_cut_off_photo_is_refused_even_after_a_pdf_was_printed():
    import weasyprint  # noqa: F401  (it lets Pillow load cut-off pictures, process-wide)

    assert "damaged" in refusal("broken.jpg", samples.corrupt_jpeg())
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # left as WeasyPrint wants it


def test_too_large_a_file_is_refused_before_it_is_read(settings):
    settings.EVIDENCE_MAX_FILE_MB = 1
    assert "larger than 1 MB" in refusal("scan.pdf", samples.PDF + b"0" * (1024 * 1024))


def test_a_picture_over_the_pixel_limit_is_refused_before_decoding(settings):
    settings.EVIDENCE_MAX_IMAGE_PIXELS = 1_000_000
    assert "too many pixels" in refusal("big.jpg", samples.jpeg(size=(2000, 1000)))


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\rep\\Desktop\\报价单.pdf", "报价单.pdf"),
        ("\u202egpj.exe", "gpj.exe"),  # the right-to-left override would show it as exe.jpg
        ("a\x00b.jpg", "b.jpg"),
        ("   ", "file"),
        ("x" * 300 + ".jpg", "x" * 95 + "….jpg"),
    ],
)
def test_the_uploaders_file_name_is_shown_cleaned(raw, shown):
    assert display_name(raw) == shown
