"""ChatXAIVision's request building, tool and structured-output binding, and settings."""

from __future__ import annotations

import copy
import pickle
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableBinding, RunnableSequence
from langchain_core.tools import tool
from pydantic import BaseModel
from xai_vision.errors import RequestValidationError
from xai_vision.images import ImageOptions

from langchain_xai_vision import ChatXAIVision


class Weather(BaseModel):
    """Weather report."""

    city: str
    celsius: float


@tool
def lookup(city: str) -> str:
    """Look a city up."""
    return city


def _model(**kwargs: Any) -> ChatXAIVision:
    return ChatXAIVision(api_key="k", **kwargs)


def _bound(runnable: Any) -> dict[str, Any]:
    """The keyword arguments a bind/bind_tools result will pass to the model."""
    first = runnable.first if isinstance(runnable, RunnableSequence) else runnable
    assert isinstance(first, RunnableBinding)
    return dict(first.kwargs)


def test_defaults_and_aliases() -> None:
    model = ChatXAIVision(api_key="k")
    assert model.model == "grok-4-fast-non-reasoning"
    assert model.timeout > 0 and model.max_retries == 2
    aliased = ChatXAIVision(model_name="grok-4", xai_api_key="k2", stop_sequences=["END"])
    assert (aliased.model, aliased.stop) == ("grok-4", ["END"])
    assert aliased.api_key is not None and aliased.api_key.get_secret_value() == "k2"


def test_request_takes_settings_then_per_call_overrides() -> None:
    model = _model(
        temperature=0.2, max_tokens=50, stop=["A"], seed=7, model_kwargs={"presence_penalty": 0.5}
    )
    base = model._build_request([HumanMessage("hi")], None, {})
    assert (base.model, base.temperature, base.max_tokens, base.seed) == (
        "grok-4-fast-non-reasoning",
        0.2,
        50,
        7,
    )
    assert tuple(base.stop or ()) == ("A",)
    assert dict(base.extra) == {"presence_penalty": 0.5}
    call = model._build_request(
        [HumanMessage("hi")],
        ["B"],
        {"model": "grok-4-1-fast-non-reasoning", "temperature": 1.5, "stream": True, "user": "u-1"},
    )
    assert (call.model, call.temperature) == ("grok-4-1-fast-non-reasoning", 1.5)
    assert tuple(call.stop or ()) == ("B",)
    assert dict(call.extra) == {"presence_penalty": 0.5, "user": "u-1"}


def test_out_of_range_settings_fail_before_sending() -> None:
    with pytest.raises(RequestValidationError, match="temperature"):
        _model(temperature=3.0)._build_request([HumanMessage("hi")], None, {})
    with pytest.raises(ValueError, match="timeout"):
        ChatXAIVision(api_key="k", timeout=0)


#: (ChatXAIVision field, the ImageOptions field it sets, a value other than the default)
IMAGE_FIELDS = [
    ("image_policy", "policy", "strict"),
    ("optimize_images", "optimize", True),
    ("max_image_bytes", "max_bytes", 1000),
    ("max_image_edge", "max_edge", 500),
    ("max_image_pixels", "max_pixels", 10_000),
    ("max_images_per_request", "max_images_per_request", 3),
    ("animated_images", "animated", "first_frame"),
    ("send_webp_as_is", "send_webp_as_is", True),
    ("max_images_per_message", "max_images_per_message", 4),
]


def test_every_image_option_has_a_field() -> None:
    assert {option for _, option, _ in IMAGE_FIELDS} == set(ImageOptions.model_fields)


def test_image_fields_make_the_core_options() -> None:
    model = _model(**{field: value for field, _, value in IMAGE_FIELDS})
    expected = ImageOptions(**{option: value for _, option, value in IMAGE_FIELDS})
    assert model.image_options == expected
    assert _model().image_options == ImageOptions()


def test_ls_params_report_xai_and_the_called_model() -> None:
    params = _model(temperature=0.5, max_tokens=10, stop=["x"])._get_ls_params()
    assert params == {
        "ls_provider": "xai",
        "ls_model_name": "grok-4-fast-non-reasoning",
        "ls_model_type": "chat",
        "ls_temperature": 0.5,
        "ls_max_tokens": 10,
        "ls_stop": ["x"],
    }
    assert _model()._get_ls_params(model="grok-4")["ls_model_name"] == "grok-4"


def test_llm_type_labels_traces_and_asdict() -> None:
    model = _model()
    assert model._llm_type == "xai-vision-chat"
    assert model.asdict()["_type"] == "xai-vision-chat"


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("any", "required"),
        ("required", "required"),
        (True, "required"),
        ("lookup", {"type": "function", "function": {"name": "lookup"}}),
        (
            {"type": "function", "function": {"name": "Weather"}},
            {"type": "function", "function": {"name": "Weather"}},
        ),
    ],
)
def test_bind_tools_choices(choice: Any, wire: Any) -> None:
    kwargs = _bound(_model().bind_tools([lookup, Weather], tool_choice=choice))
    assert kwargs["tool_choice"] == wire
    assert [t["function"]["name"] for t in kwargs["tools"]] == ["lookup", "Weather"]
    assert kwargs["tools"][1]["function"]["parameters"]["required"] == ["city", "celsius"]


def test_bind_tools_parallel_and_strict() -> None:
    kwargs = _bound(_model().bind_tools([lookup], parallel_tool_calls=False, strict=True))
    assert kwargs["parallel_tool_calls"] is False
    assert kwargs["tools"][0]["function"]["strict"] is True
    assert "tool_choice" not in kwargs


def test_structured_output_methods_bind_the_right_request() -> None:
    model = _model()
    schema_kwargs = _bound(model.with_structured_output(Weather))
    assert schema_kwargs["response_format"]["type"] == "json_schema"
    assert schema_kwargs["response_format"]["json_schema"]["name"] == "Weather"
    mode_kwargs = _bound(model.with_structured_output(Weather, method="json_mode"))
    assert mode_kwargs["response_format"] == {"type": "json_object"}
    tool_kwargs = _bound(model.with_structured_output(Weather, method="function_calling"))
    assert tool_kwargs["tool_choice"] == {"type": "function", "function": {"name": "Weather"}}
    assert tool_kwargs["parallel_tool_calls"] is False


def test_structured_output_bad_arguments() -> None:
    with pytest.raises(RequestValidationError, match="method 'xml'"):
        _model().with_structured_output(Weather, method="xml")  # type: ignore[arg-type]
    with pytest.raises(RequestValidationError, match="needs a schema"):
        _model().with_structured_output(None)
    with pytest.raises(RequestValidationError, match="unexpected arguments"):
        _model().with_structured_output(Weather, tools=[lookup])


def test_clients_are_reused_per_settings_and_never_copied() -> None:
    model = _model()
    client = model._get_client()
    assert model._get_client() is client
    assert model._get_async_client() is client.async_client
    same = model.model_copy(update={"temperature": 0.9})
    assert same._get_client() is client
    elsewhere = model.model_copy(update={"base_url": "http://127.0.0.1:9/v1"})
    assert elsewhere._get_client() is not client
    assert elsewhere._get_client().base_url.startswith("http://127.0.0.1:9/v1")
    assert model._get_client() is client
    clone = copy.deepcopy(model)
    assert clone.model == model.model
    assert clone._get_client() is not client
    unpickled = pickle.loads(pickle.dumps(model))
    assert unpickled.api_key is None  # the key is never pickled; a copy reads XAI_API_KEY
    assert unpickled.model == model.model
    assert unpickled._get_client() is not client
    assert "k" not in repr(clone._clients)
