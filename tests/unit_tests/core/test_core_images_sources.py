"""Source dispatch on its own: what a source is and its bytes, the URL checks and base64 rule."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from xai_vision.errors import ImageSourceError, ImageTooLargeError
from xai_vision.images import (
    base64_data_uri,
    is_data_uri,
    is_http_url,
    parse_data_uri,
    prepare_image,
    url_scheme,
)
from xai_vision.images.sources import InlineSource, RemoteSource, read_source

ImageFactory = Callable[..., bytes]


def test_each_source_kind_is_read_once_to_bytes_or_kept_as_a_url(
    tmp_path: Path, image_bytes: ImageFactory
) -> None:
    png = image_bytes()
    path = tmp_path / "shot.png"
    path.write_bytes(png)
    uri = "data:image/png;base64," + base64.b64encode(png).decode()
    assert read_source("https://example.com/a.png") == RemoteSource(
        "https://example.com/a.png", "https://example.com/a.png"
    )
    assert read_source(png) == InlineSource(png, f"bytes[{len(png)}]")
    assert read_source(path) == InlineSource(png, "shot.png")
    assert read_source(str(path)) == InlineSource(png, "shot.png")
    assert read_source(io.BytesIO(png)) == InlineSource(png, "file object")
    from_uri = read_source(uri)
    assert isinstance(from_uri, InlineSource)
    assert (from_uri.data, from_uri.data_uri) == (png, uri)  # kept for reuse when canonical
    bare = base64.b64encode(png).decode()
    assert read_source(bare) == InlineSource(png, f"base64[{len(bare)}]")


def test_bare_base64_is_a_source_only_when_the_recogniser_says_so() -> None:
    """The dispatch is not tied to images: another payload brings its own recogniser."""
    pdf = b"%PDF-1.7\n" + b"x" * 32
    text = base64.b64encode(pdf).decode()
    with pytest.raises(ImageSourceError, match="no such file"):
        read_source(text)
    assert read_source(text, recognise=lambda data: data.startswith(b"%PDF-")) == InlineSource(
        pdf, f"base64[{len(text)}]"
    )


def test_a_strict_size_cap_refuses_a_file_before_reading_it(tmp_path: Path) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(b"\0" * 100)
    with pytest.raises(ImageTooLargeError, match="100 bytes is over max_bytes 99") as info:
        read_source(path, max_file_bytes=99, index=3)
    assert (info.value.source, info.value.index) == ("big.bin", 3)
    assert read_source(path, max_file_bytes=100) == InlineSource(b"\0" * 100, "big.bin")


def test_unsupported_types_list_what_the_caller_accepts() -> None:
    with pytest.raises(ImageSourceError, match="expected a path, bytes") as info:
        read_source(3.5)  # type: ignore[arg-type]
    assert "PIL" not in str(info.value)
    with pytest.raises(ImageSourceError, match="a PIL image"):
        prepare_image(3.5)  # type: ignore[arg-type]


PNG_URI = "data:image/png;base64,"


@pytest.mark.parametrize(
    ("read", "source", "reason"),
    [
        # a data URI's header
        (parse_data_uri, "data:image/png;base64", "no ','"),
        (parse_data_uri, "data:image/png,iVBORw0KGgo=", "only ';base64,'"),
        (parse_data_uri, PNG_URI, "payload is empty"),
        (parse_data_uri, "data:;base64,AAAA", "not a MIME type"),
        (parse_data_uri, "data:png;base64,AAAA", "not a MIME type"),
        (parse_data_uri, "image/png;base64,AAAA", "must start with 'data:'"),
        # its payload: standard padded base64, nothing else
        (parse_data_uri, f"{PNG_URI}abc", "Incorrect padding"),
        (parse_data_uri, f"{PNG_URI}ab$c", "unexpected character '$'"),
        (parse_data_uri, f"{PNG_URI}ab-_", "unexpected character '-'"),
        (parse_data_uri, f"{PNG_URI}iVBO Rw==", "unexpected character ' '"),
        (parse_data_uri, f"{PNG_URI}YQ==YQ==", "bad base64 in data URI: '=' padding where none"),
        (parse_data_uri, f"{PNG_URI}ab=c", "bad base64 in data URI: '=' padding where none"),
        (parse_data_uri, f"{PNG_URI}YWJj=", "bad base64 in data URI: '=' padding where none"),
        (
            parse_data_uri,
            f"{PNG_URI}YWJj\u00e9===",
            "bad base64 in data URI: unexpected character 'é'",
        ),
        (
            parse_data_uri,
            f"{PNG_URI}YWJj\nYWJj",
            "bad base64 in data URI: unexpected character '\\n'",
        ),
        # http(s) URLs
        (prepare_image, "https://", "no host"),
        (prepare_image, "https:///path/only.png", "no host"),
        (prepare_image, "https://exa mple.com/a.png", "whitespace"),
        (prepare_image, "https://example.com:99999999/a.png", "malformed URL"),
        # other schemes
        (prepare_image, "file:///etc/passwd", "unsupported URL scheme 'file'"),
        (prepare_image, "ftp://example.com/a.png", "unsupported URL scheme 'ftp'"),
        (prepare_image, "javascript:alert(1)", "unsupported URL scheme 'javascript'"),
        (prepare_image, "s3://bucket/key.png", "unsupported URL scheme 's3'"),
        (prepare_image, "gs://bucket/key.png", "unsupported URL scheme 'gs'"),
        (prepare_image, "mailto:someone@example.com", "unsupported URL scheme 'mailto'"),
    ],
)
def test_malformed_sources_are_refused_with_the_reason(
    read: Callable[[str], object], source: str, reason: str
) -> None:
    with pytest.raises(ImageSourceError) as info:
        read(source)
    assert reason in str(info.value)


@pytest.mark.parametrize(
    ("text", "scheme"),
    [
        ("file:///etc/passwd", "file"),
        ("FTP://host/x.png", "ftp"),
        ("s3+https://bucket/key", "s3+https"),
        ("C:\\pictures\\cat.png", None),  # a drive letter, not a scheme
        ("cat.png", None),
        ("", None),
    ],
)
def test_url_scheme(text: str, scheme: str | None) -> None:
    assert url_scheme(text) == scheme


def test_url_kinds_are_read_from_the_head_in_any_case() -> None:
    assert is_http_url("HTTPS://example.com/a.png") and is_http_url("http://x")
    assert not is_http_url("ftp://x") and not is_http_url("httpx://x")
    assert is_data_uri("DATA:image/png;base64,AAAA") and not is_data_uri("/data:x")


def test_base64_data_uri_keeps_a_known_image_type(image_bytes: ImageFactory) -> None:
    png = image_bytes()
    text = base64.b64encode(png).decode()
    uri = base64_data_uri(text, "image/png", source="block")
    assert uri == f"data:image/png;base64,{text}"
    assert base64_data_uri(text.encode(), "image/png", source="block") == uri
    # The block's own string is what is sent: the claim was right.
    assert prepare_image(uri).url is uri


@pytest.mark.parametrize(
    "claimed",
    [None, "", "text/plain", "image/jpg", "not a mime", "image/png;x=1,QUFB", "image/png,"],
)
def test_any_other_claimed_type_cannot_break_or_reshape_the_uri(
    image_bytes: ImageFactory, claimed: object
) -> None:
    """The bytes decide the type: a wrong, odd or hostile claim is replaced, never spliced in."""
    png = image_bytes()
    uri = base64_data_uri(base64.b64encode(png).decode(), claimed, source="block")
    assert uri.startswith("data:application/octet-stream;base64,")
    assert parse_data_uri(uri) == ("application/octet-stream", png)
    prepared = prepare_image(uri)
    assert (prepared.mime_type, parse_data_uri(prepared.url)[1]) == ("image/png", png)


@pytest.mark.parametrize(
    ("payload", "reason"),
    [("abcde", "5 characters"), ("YWJj\u00e9===", "not ASCII"), (b"\xffabc", "non-ASCII bytes")],
)
def test_base64_data_uri_refuses_a_misshapen_payload_naming_the_source(
    payload: str | bytes, reason: str
) -> None:
    with pytest.raises(ImageSourceError, match=reason) as info:
        base64_data_uri(payload, "image/png", source="message 1, block 0")
    assert info.value.source == "message 1, block 0"
    assert info.value.reason.startswith("image data is not valid base64")
