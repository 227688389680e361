"""Content parts: ``text``, ``image_url`` and ``file`` (document) parts, built and checked, and
:class:`ImageCollector`, which prepares a request's images in order (numbered from 1, limited per
request).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Literal, TypeAlias, cast

from typing_extensions import NotRequired, TypedDict

from xai_vision._base64 import b64decode_strict, b64encode_str
from xai_vision.documents import DocumentOptions, PreparedDocument, check_pdf, render_pages
from xai_vision.errors import DocumentSourceError, RequestValidationError, TooManyImagesError
from xai_vision.images import (
    ImageOptions,
    ImageSource,
    PreparedImage,
    is_data_uri,
    is_http_url,
    prepare_image,
)
from xai_vision.tokens import Detail, check_detail


class TextPart(TypedDict):
    """``{"type": "text", "text": ...}``"""

    type: Literal["text"]
    text: str


class ImageURL(TypedDict):
    """The ``image_url`` object: an http(s) URL or data URI, and the optional detail level."""

    url: str
    detail: NotRequired[Detail]


class ImagePart(TypedDict):
    """``{"type": "image_url", "image_url": {"url": ..., "detail": ...}}``"""

    type: Literal["image_url"]
    image_url: ImageURL


class FileRef(TypedDict, total=False):
    """The ``file`` object: exactly one of ``file_id``, ``url`` or ``file_data`` (plain base64 of
    a checked PDF, with ``filename``). Chat completions takes only ``file_id`` or ``url``: inline
    data is uploaded first (:meth:`~xai_vision.messages.ChatRequest.with_uploaded_documents`)."""

    file_id: str
    url: str
    file_data: str
    filename: str


class FilePart(TypedDict):
    """``{"type": "file", "file": {"file_id" | "url" | "file_data" + "filename"}}``"""

    type: Literal["file"]
    file: FileRef


ContentPart: TypeAlias = TextPart | ImagePart | FilePart

#: What builders take as content: a string, or a sequence of strings, parts, prepared images and
#: prepared documents.
ContentInput: TypeAlias = (
    str | Sequence[str | TextPart | ImagePart | FilePart | PreparedImage | PreparedDocument]
)
_FILE_SOURCES: tuple[str, ...] = ("file_id", "url", "file_data")


def text_part(text: str) -> TextPart:
    """A text content part."""
    if not isinstance(text, str):
        raise RequestValidationError(f"text part must be a str, got {type(text).__name__}")
    return {"type": "text", "text": text}


def image_part(image: PreparedImage) -> ImagePart:
    """An ``image_url`` content part for a prepared image (``detail`` only when set)."""
    if not isinstance(image, PreparedImage):
        raise RequestValidationError(
            f"image_part takes a PreparedImage (see prepare_image), got {type(image).__name__}"
        )
    image_url: ImageURL = {"url": image.url}
    if image.detail is not None:
        image_url["detail"] = image.detail
    return {"type": "image_url", "image_url": image_url}


class CheckedPDFBase64(str):
    """Base64 text of a PDF this process has opened with PDFium, carrying the PDF's bytes.

    :func:`file_part` builds it, so a request made from a prepared document neither decodes nor
    re-checks the PDF, and an upload sends these very bytes (a plain str is checked as usual).
    Built only from the bytes, so it can never hold text that is not their base64.
    """

    pdf: bytes

    def __new__(cls, pdf: bytes) -> CheckedPDFBase64:
        text = super().__new__(cls, b64encode_str(pdf))
        text.pdf = pdf
        return text

    def __getnewargs__(self) -> tuple[bytes]:  # type: ignore[override]
        return (self.pdf,)


def file_part(document: PreparedDocument) -> FilePart:
    """A ``file`` part for a prepared document: its ``file_id``, URL or inline base64."""
    if not isinstance(document, PreparedDocument):
        raise RequestValidationError(
            f"file_part takes a PreparedDocument (see prepare_document), got "
            f"{type(document).__name__}"
        )
    if document.file_id is not None:
        return {"type": "file", "file": {"file_id": document.file_id}}
    if document.url is not None:
        return {"type": "file", "file": {"url": document.url}}
    assert document.data is not None
    data = CheckedPDFBase64(document.data)
    return {"type": "file", "file": {"file_data": data, "filename": document.filename}}


class ImageCollector:
    """Prepares the images of one request: numbers them from 1 and enforces the per-request cap.

    Use one collector per request so image indices in errors match the request's order.
    """

    def __init__(self, options: ImageOptions | None = None) -> None:
        self.options = options if options is not None else ImageOptions()
        self._images: list[PreparedImage] = []

    @property
    def images(self) -> tuple[PreparedImage, ...]:
        """The images added so far, in order."""
        return tuple(self._images)

    def __len__(self) -> int:
        return len(self._images)

    @property
    def estimated_tokens(self) -> int:
        """Estimated image tokens of the inline images added so far (URLs cannot be sized)."""
        return sum(image.estimated_tokens or 0 for image in self._images)

    def add(
        self, source: ImageSource | PreparedImage, *, detail: Detail | None = None
    ) -> ImagePart:
        """Prepare ``source`` as the next image of the request and return its wire part.

        A :class:`PreparedImage` is renumbered (and given ``detail`` if one is passed) but not
        prepared again. Raises :class:`TooManyImagesError` before preparing an image over the cap.
        """
        index = len(self._images) + 1
        limit = self.options.max_images_per_request
        if limit is not None and index > limit:
            raise TooManyImagesError(
                f"image {index}: more than max_images_per_request={limit} images in one request"
            )
        if isinstance(source, PreparedImage):
            checked = check_detail(detail)
            prepared = replace(source, index=index, detail=checked or source.detail)
        else:
            prepared = prepare_image(source, detail=detail, options=self.options, index=index)
        self._images.append(prepared)
        return image_part(prepared)


def document_parts(
    document: PreparedDocument, collector: ImageCollector, options: DocumentOptions | None = None
) -> list[ContentPart]:
    """A document as the request sends it: one ``file`` part (mode ``file``: xAI reads the
    whole PDF), or its chosen pages rendered to images through ``collector`` (mode ``pages``:
    numbered and limited with the request's other images). Both adapters call this."""
    chosen = options if options is not None else DocumentOptions()
    if chosen.mode == "file":
        return [file_part(document)]
    images = render_pages(
        document,
        pages=chosen.pages,
        detail=chosen.detail,
        dpi=chosen.dpi,
        image_options=collector.options,
    )
    return [collector.add(image) for image in images]


def wire_part(item: object, where: str) -> ContentPart:
    """Check one content item (a str, a part dict or a PreparedImage) and return its wire part."""
    if isinstance(item, str):
        return text_part(item)
    if isinstance(item, PreparedImage):
        return image_part(item)
    if isinstance(item, PreparedDocument):
        return file_part(item)
    if isinstance(item, Mapping):
        kind = item.get("type")
        if kind == "text":
            text = item.get("text")
            if not isinstance(text, str):
                raise RequestValidationError(f"{where}: a text part needs a str 'text'")
            return text_part(text)
        if kind == "image_url":
            return _checked_image_part(item.get("image_url"), where)
        if kind == "file":
            return _checked_file_part(item.get("file"), where)
        raise RequestValidationError(
            f"{where}: unknown content part type {kind!r} (expected 'text', 'image_url' or 'file')"
        )
    raise RequestValidationError(
        f"{where}: content items must be str, a text/image_url/file part, a PreparedImage or a "
        f"PreparedDocument, got {type(item).__name__}"
    )


def _checked_file_part(file: object, where: str) -> FilePart:
    """A ``file`` part's object: one source; inline base64 is opened as a PDF (nothing sent)."""
    if not isinstance(file, Mapping):
        raise RequestValidationError(f"{where}: a file part needs a 'file' object")
    unknown = set(file) - {*_FILE_SOURCES, "filename"}
    if unknown:
        raise RequestValidationError(f"{where}: unknown file keys {sorted(unknown)}")
    given = [key for key in _FILE_SOURCES if file.get(key) is not None]
    if len(given) != 1:
        raise RequestValidationError(
            f"{where}: a file part needs exactly one of file_id, url or file_data, got "
            f"{given or 'none'}"
        )
    key = given[0]
    value = file[key]
    if not isinstance(value, str) or not value:
        raise RequestValidationError(f"{where}: file.{key} must be a non-empty str")
    filename = file.get("filename")
    if key != "file_data":
        if filename is not None:
            raise RequestValidationError(f"{where}: filename goes only with file_data")
        if key == "url" and not is_http_url(value):
            raise RequestValidationError(f"{where}: file.url must be an http(s) URL")
        return {"type": "file", "file": {key: value}}  # type: ignore[misc]
    if not isinstance(filename, str) or not filename:
        raise RequestValidationError(f"{where}: file_data needs a non-empty str filename")
    if isinstance(value, CheckedPDFBase64):
        return {"type": "file", "file": {"file_data": value, "filename": filename}}
    try:
        data = b64decode_strict(value)
    except ValueError:
        raise DocumentSourceError("file_data is not plain base64", source=filename) from None
    check_pdf(data, filename)
    return {"type": "file", "file": {"file_data": value, "filename": filename}}


def _checked_image_part(image_url: object, where: str) -> ImagePart:
    if not isinstance(image_url, Mapping) or not isinstance(image_url.get("url"), str):
        raise RequestValidationError(f"{where}: an image_url part needs {{'url': str}}")
    url = cast(str, image_url["url"])
    if not (is_http_url(url) or is_data_uri(url)):
        raise RequestValidationError(
            f"{where}: image_url.url must be an http(s) URL or a data URI "
            "(use prepare_image or ImageCollector for other sources)"
        )
    out: ImageURL = {"url": url}
    detail = check_detail(image_url.get("detail"), where)
    if detail is not None:
        out["detail"] = detail
    unknown = set(image_url) - {"url", "detail"}
    if unknown:
        raise RequestValidationError(f"{where}: unknown image_url keys {sorted(unknown)}")
    return {"type": "image_url", "image_url": out}


def content_parts(content: ContentInput, where: str) -> str | list[ContentPart]:
    """Message content checked: a string as it is, or each item as a wire part."""
    if isinstance(content, str):
        return content
    raw: object = content
    if isinstance(raw, (bytes, bytearray)) or not isinstance(raw, Sequence):
        raise RequestValidationError(
            f"{where}: content must be a str or a sequence of parts, got {type(content).__name__}"
        )
    if not content:
        raise RequestValidationError(f"{where}: content has no parts")
    return [wire_part(item, f"{where} part {i}") for i, item in enumerate(content)]
