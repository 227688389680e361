"""Construction, metadata, serialisation and pre-send validation of both classes (no network)."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable

import pytest
from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock
from llama_index.core.llms.function_calling import FunctionCallingLLM
from llama_index.core.multi_modal_llms import MultiModalLLM
from xai_vision.errors import (
    ImageError,
    MissingAPIKeyError,
    RequestValidationError,
    TooManyImagesError,
)
from xai_vision.images import ImageOptions

from llama_index_xai_vision import XAIVision, XAIVisionMultiModal

SECRET = "xai-unit-secret-0123456789"
# Nothing listens on port 9 (discard): reaching the network would be an APIConnectionError.
DEAD = "http://127.0.0.1:9/v1"
BOTH = [XAIVision, XAIVisionMultiModal]
ImageFactory = Callable[..., bytes]


@pytest.mark.parametrize("cls", BOTH)
def test_api_key_is_never_serialised_or_shown(cls: type[XAIVision]) -> None:
    llm = cls(api_key=SECRET, base_url=DEAD)
    shown = [
        repr(llm),
        str(llm),
        str(llm.to_dict()),
        llm.to_json(),
        str(llm.to_payload()),
        llm.model_dump_json(),
        repr(llm.client),
    ]
    for text in shown:
        assert SECRET not in text
    assert "api_key" not in llm.to_dict()
    # The key is kept (as a secret) for the client to use.
    assert llm.api_key is not None
    assert llm.api_key.get_secret_value() == SECRET


def test_base_classes_and_names() -> None:
    assert issubclass(XAIVision, FunctionCallingLLM)
    assert issubclass(XAIVisionMultiModal, MultiModalLLM)
    # MultiModalVectorStoreIndex warns unless "multi" is in the class name; both take images.
    assert "multi" in XAIVisionMultiModal.class_name()
    assert "multi" in XAIVision.class_name()
    assert XAIVision.class_name() != XAIVisionMultiModal.class_name()
    assert XAIVision(api_key=SECRET).to_dict()["class_name"] == XAIVision.class_name()


def test_llm_metadata_is_honest() -> None:
    meta = XAIVision(api_key=SECRET).metadata
    assert meta.is_chat_model
    assert meta.is_function_calling_model
    assert meta.model_name == "grok-4-fast-non-reasoning"
    assert meta.context_window == 2_000_000
    assert XAIVision(model="grok-2-vision-1212").metadata.context_window == 32_768
    assert XAIVision(model="grok-4-0709").metadata.context_window == 256_000
    assert XAIVision(context_window=1000, max_tokens=50).metadata.context_window == 1000
    assert XAIVision(max_tokens=50).metadata.num_output == 50


def test_multimodal_metadata_and_payload() -> None:
    llm = XAIVisionMultiModal(
        model="grok-4-0709", image_options=ImageOptions(max_images_per_request=4)
    )
    meta = llm.metadata
    assert meta.model_name == "grok-4-0709"
    assert meta.num_input_files == 4
    assert meta.is_chat_model
    payload = llm.to_payload()
    assert payload["class_name"] == "xai_vision_multi_modal_llm"
    assert payload["model_name"] == "grok-4-0709"
    # The callback wrappers read these; a bare MultiModalLLM subclass lacks them.
    assert llm.rate_limiter is None


@pytest.mark.parametrize("cls", BOTH)
def test_one_client_per_instance(cls: type[XAIVision]) -> None:
    llm = cls(api_key=SECRET, base_url=DEAD, timeout=5, max_retries=0)
    client = llm.client
    assert client is llm.client
    assert client.base_url == DEAD
    assert client.max_retries == 0
    assert cls(api_key=SECRET).client is not client


def test_request_fields_come_from_instance_then_call() -> None:
    llm = XAIVision(
        api_key=SECRET, temperature=0.2, max_tokens=100, additional_kwargs={"user": "u1"}
    )
    request = llm._chat_request(
        [ChatMessage(role="user", content="hi")], {"temperature": 0.7, "seed": 3, "n": 1}
    )
    assert request.model == "grok-4-fast-non-reasoning"
    assert request.temperature == 0.7
    assert request.max_tokens == 100
    assert request.seed == 3
    assert request.extra == {"user": "u1", "n": 1}


def test_additional_kwargs_may_set_request_fields() -> None:
    llm = XAIVision(api_key=SECRET, additional_kwargs={"top_p": 0.5, "seed": 1})
    request = llm._chat_request([ChatMessage(role="user", content="hi")], {"seed": 2})
    assert (request.top_p, request.seed, request.extra) == (0.5, 2, {})


def test_stream_keyword_is_refused() -> None:
    llm = XAIVision(api_key=SECRET, base_url=DEAD)
    with pytest.raises(RequestValidationError, match="stream"):
        llm.chat([ChatMessage(role="user", content="hi")], stream=True)


@pytest.mark.parametrize("cls", BOTH)
def test_bad_image_raises_before_any_request(cls: type[XAIVision]) -> None:
    llm = cls(api_key=SECRET, base_url=DEAD, max_retries=0)
    message = ChatMessage(
        role="user", blocks=[TextBlock(text="x"), ImageBlock(image=b"not an image at all")]
    )
    with pytest.raises(ImageError):
        llm.chat([message])
    with pytest.raises(ImageError):
        llm.stream_chat([message])


def test_multimodal_bad_image_document_raises_before_any_request() -> None:
    llm = XAIVisionMultiModal(api_key=SECRET, base_url=DEAD, max_retries=0)
    with pytest.raises(RequestValidationError, match=r"image_documents\[0\]"):
        llm.complete("what?", image_documents=["photo.png"])  # type: ignore[list-item]


async def test_async_validation_also_precedes_sending(image_bytes: ImageFactory) -> None:
    llm = XAIVision(api_key=SECRET, base_url=DEAD, max_retries=0)
    # An image in a system message is valid; a non-str name is not.
    bad = ChatMessage(
        role="system", blocks=[ImageBlock(image=image_bytes())], additional_kwargs={"name": 7}
    )
    with pytest.raises(RequestValidationError, match=r"additional_kwargs\['name'\] must be a str"):
        await llm.achat([bad])
    with pytest.raises(RequestValidationError, match=r"additional_kwargs\['name'\] must be a str"):
        await llm.astream_chat([bad])


def test_missing_key_is_a_typed_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XAI_API_KEY", raising=False)
    llm = XAIVision(base_url=DEAD)
    with pytest.raises(MissingAPIKeyError):
        llm.complete("hello")


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="temperature"):
        XAIVision(temperature=5)
    with pytest.raises(ValueError, match="detail"):
        XAIVision(detail="ultra")  # type: ignore[arg-type]


@pytest.mark.parametrize("cls", BOTH)
def test_pickle_leaves_the_key_out(cls: type[XAIVision], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XAI_API_KEY", "xai-from-environment")
    llm = cls(api_key=SECRET, base_url=DEAD, temperature=0.3)
    data = pickle.dumps(llm)
    assert SECRET.encode() not in data
    copy_ = pickle.loads(data)
    assert copy_.temperature == 0.3
    assert copy_.api_key is None
    # The copy works: its client reads the key from the environment.
    assert copy_.client.api_key is not None
    assert copy_.client.api_key.get_secret_value() == "xai-from-environment"


@pytest.mark.parametrize("cls", BOTH)
def test_deepcopy_gets_its_own_client_and_shares_callbacks(cls: type[XAIVision]) -> None:
    llm = cls(api_key=SECRET, base_url=DEAD, additional_kwargs={"user": "a"})
    clone = copy.deepcopy(llm)
    assert clone.client is not llm.client
    assert clone.client.base_url == DEAD
    assert clone.api_key == llm.api_key
    assert clone.callback_manager is llm.callback_manager
    assert clone.additional_kwargs == {"user": "a"}
    assert clone.additional_kwargs is not llm.additional_kwargs


@pytest.mark.parametrize("cls", BOTH)
def test_json_round_trip_keeps_settings(cls: type[XAIVision]) -> None:
    options = ImageOptions(optimize=True, max_images_per_request=3)
    llm = cls(api_key=SECRET, model="grok-4-0709", detail="low", image_options=options)
    back = cls.from_json(llm.to_json())
    assert (back.model, back.detail, back.image_options) == ("grok-4-0709", "low", options)
    assert back.api_key is None


@pytest.mark.parametrize("cls", BOTH)
def test_image_options_reach_the_collector(cls: type[XAIVision], image_bytes: ImageFactory) -> None:
    llm = cls(
        api_key=SECRET,
        base_url=DEAD,
        image_options=ImageOptions(max_images_per_request=1),
    )
    png = image_bytes()
    message = ChatMessage(role="user", blocks=[ImageBlock(image=png), ImageBlock(image=png)])
    with pytest.raises(TooManyImagesError):
        llm.chat([message])
