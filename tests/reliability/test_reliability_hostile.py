"""The hostile-input corpus through the core and both adapters: each input is converted
correctly (format, size, orientation, byte limit) or refused with a typed ``ImageError`` naming
the image and the reason, before any request is sent.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path

import pytest
from hostile_corpus import CASES, CASES_BY_NAME, Case, Converted, Rejected
from PIL import Image, ImageOps
from surfaces import SYNC_WHOLE, Config, run
from xai_vision.emulator import Emulator
from xai_vision.errors import ImageError
from xai_vision.images import PreparedImage, prepare_image

NAMES = [case.name for case in CASES]
_ANSWER_LINE = re.compile(r"Image 1: (\d+)x(\d+) (\w+),")


def test_the_corpus_has_at_least_thirty_inputs() -> None:
    assert len(CASES) >= 30
    assert sum(isinstance(c.expect, Rejected) for c in CASES) >= 20


def _decoded(prepared: PreparedImage) -> tuple[Image.Image, bytes]:
    header, _, payload = prepared.url.partition(",")
    assert header.startswith("data:image/") and header.endswith(";base64")
    data = base64.b64decode(payload, validate=True)
    image = Image.open(io.BytesIO(data))
    image.load()
    return image, data


def _check_converted(prepared: PreparedImage, expect: Converted) -> None:
    image, data = _decoded(prepared)
    assert image.format is not None and image.format.lower() in expect.formats
    assert prepared.mime_type == f"image/{image.format.lower()}"
    upright = ImageOps.exif_transpose(image)
    assert upright.size == (expect.width, expect.height)
    assert (prepared.width, prepared.height) == (expect.width, expect.height)
    assert prepared.byte_size == len(data)
    if expect.max_bytes is not None:
        assert len(data) <= expect.max_bytes
    assert getattr(image, "n_frames", 1) == 1


def _check_rejected(error: BaseException | None, expect: Rejected) -> None:
    assert isinstance(error, expect.error), repr(error)
    assert isinstance(error, ImageError)
    message = str(error)
    assert message.startswith("image")  # "image (<source>): reason" / "image N (<source>): ..."
    assert error.source and error.source in message
    assert expect.reason in error.reason.lower(), error.reason


@pytest.mark.parametrize("name", NAMES)
def test_core_prepare_image(name: str, tmp_path: Path) -> None:
    case = CASES_BY_NAME[name]
    source = case.make(tmp_path)
    try:
        prepared = prepare_image(source, options=case.options)
    except ImageError as exc:
        assert isinstance(case.expect, Rejected), f"rejected unexpectedly: {exc}"
        _check_rejected(exc, case.expect)
    else:
        assert isinstance(case.expect, Converted), f"accepted unexpectedly: {prepared!r}"
        _check_converted(prepared, case.expect)


def _emulated_format(case: Case) -> tuple[int, int, tuple[str, ...]]:
    assert isinstance(case.expect, Converted)
    return case.expect.width, case.expect.height, case.expect.formats


#: (case, surface) pairs that fail today, each for the bug named (strict: flips when fixed).
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def _adapter_params() -> list[object]:
    params: list[object] = []
    for name in NAMES:
        for surface in SYNC_WHOLE:
            bug = KNOWN_BUGS.get((name, surface))
            marks = [pytest.mark.xfail(strict=True, reason=bug)] if bug else []
            params.append(pytest.param(name, surface, marks=marks, id=f"{name}-{surface}"))
    return params


@pytest.mark.parametrize(("name", "surface"), _adapter_params())
def test_through_every_adapter(name: str, surface: str, tmp_path: Path) -> None:
    case = CASES_BY_NAME[name]
    source = case.make(tmp_path)
    with Emulator() as emu:
        config = Config(emu.base_url, emu.api_key, image_options=case.options)
        outcome = run(surface, config, "What is this?", [source])
        if case.llama_index_refuses and surface.startswith(("llamaindex", "multimodal")):
            # The framework's own input type refuses it; the adapter is never reached.
            assert isinstance(outcome.error, ValueError), repr(outcome.error)
            assert emu.requests == []
        elif isinstance(case.expect, Rejected):
            _check_rejected(outcome.error, case.expect)
            assert emu.requests == []  # refused before anything was sent
        else:
            assert outcome.error is None, repr(outcome.error)
            match = _ANSWER_LINE.search(outcome.text)
            assert match is not None, outcome.text
            width, height, formats = _emulated_format(case)
            assert (int(match[1]), int(match[2])) == (width, height)
            assert match[3] in formats
            assert len(emu.requests) == 1
