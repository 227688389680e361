"""Shared test fixtures: images generated with Pillow, never downloaded, validators for
the schemas of xAI's OpenAPI spec (an independent check of what is sent and answered), and
``responses``, which runs an adapter test on both wire forms."""

from __future__ import annotations

import functools
import io
from collections.abc import Callable, Iterator

import jsonschema
import pytest
from endpoint_params import USE_RESPONSES_API
from PIL import Image
from unseen_models import UNSEEN_MODELS
from xai_vision.emulator import Emulator
from xai_vision.emulator.validation import load_spec

ImageFactory = Callable[..., bytes]


def make_image_bytes(
    color: str | tuple[int, ...] = "red",
    size: tuple[int, int] = (64, 48),
    fmt: str = "PNG",
    mode: str = "RGB",
    **save_kwargs: object,
) -> bytes:
    """A solid-colour image encoded in ``fmt``."""
    image = Image.new(mode, size, color)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **save_kwargs)
    return buffer.getvalue()


def make_noise_image_bytes(
    size: tuple[int, int] = (640, 480), fmt: str = "JPEG", seed: int = 0
) -> bytes:
    """A photograph-like image (smooth gradients plus noise) that compresses like a real photo."""
    import random

    rng = random.Random(seed)
    width, height = size
    base = Image.linear_gradient("L").resize(size)
    noise = Image.frombytes("L", size, bytes(rng.getrandbits(8) for _ in range(width * height)))
    red = Image.blend(base, noise, 0.25)
    green = Image.blend(base.transpose(Image.Transpose.FLIP_LEFT_RIGHT), noise, 0.25)
    blue = Image.blend(base.transpose(Image.Transpose.FLIP_TOP_BOTTOM), noise, 0.25)
    image = Image.merge("RGB", (red, green, blue))
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, quality=92) if fmt == "JPEG" else image.save(buffer, format=fmt)
    return buffer.getvalue()


@pytest.fixture
def image_bytes() -> ImageFactory:
    """Factory: ``image_bytes(color="blue", size=(32, 32), fmt="JPEG")``."""
    return make_image_bytes


@pytest.fixture
def png_path(tmp_path: pytest.TempPathFactory) -> Callable[..., str]:
    """Factory writing a PNG to a temporary folder and returning its path."""

    def _write(name: str = "image.png", **kwargs: object) -> str:
        path = tmp_path / name  # type: ignore[operator]
        path.write_bytes(make_image_bytes(**kwargs))  # type: ignore[arg-type]
        return str(path)

    return _write


SchemaValidator = Callable[[str], jsonschema.Draft202012Validator]


#: Schemas whose ``oneOf`` is read as ``anyOf``: their branches leave ``type`` a free string, so
#: a function_call output item also matches CustomToolCall and a reasoning input item
#: CompactionOutputItem (xai-api-facts.md, "Responses API").
LOOSE_ONE_OF = ("ModelOutput", "ModelInputPart")


@functools.cache
def _schema_validator(name: str) -> jsonschema.Draft202012Validator:
    spec = load_spec()
    schemas = dict(spec["components"]["schemas"])
    for loose in LOOSE_ONE_OF:
        schemas[loose] = {"anyOf": schemas[loose]["oneOf"]}
    components = {**spec["components"], "schemas": schemas}
    return jsonschema.Draft202012Validator({**schemas[name], "components": components})


@pytest.fixture(scope="session")
def xai_schema() -> SchemaValidator:
    """``xai_schema("ChatResponse").validate(payload)``: jsonschema's validator for one
    ``components.schemas`` entry of xAI's spec (``LOOSE_ONE_OF`` read as ``anyOf``)."""
    return _schema_validator


@pytest.fixture
def unseen_models_emulator() -> Iterator[Emulator]:
    """An emulator that also serves the models the project never saw (``unseen_models``)."""
    with Emulator(models=UNSEEN_MODELS) as emulator:
        yield emulator


@pytest.fixture(params=USE_RESPONSES_API, ids=("chat_completions", "responses"))
def responses(request: pytest.FixtureRequest) -> bool:
    """``use_responses_api`` for an adapter test that runs on both wire forms: off, then on."""
    return bool(request.param)
