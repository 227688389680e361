"""``stand_ins``: public image URLs answered offline from a bundled sample, and reported."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from xai_vision.emulator import (
    README_STAND_INS,
    Emulator,
    EmulatorConfigError,
    EmulatorSettings,
)

#: The photo README's quickstarts send by URL.
PHOTO_URL = (
    "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature"
    "-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg"
)


def ask(emulator: Emulator, url: str) -> httpx.Response:
    """One user message with the image at ``url``."""
    content: list[dict[str, Any]] = [
        {"type": "text", "text": "What is this?"},
        {"type": "image_url", "image_url": {"url": url}},
    ]
    body = {
        "model": "grok-4-fast-non-reasoning",
        "messages": [{"role": "user", "content": content}],
    }
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    return httpx.post(
        f"{emulator.base_url}/chat/completions",
        json=body,
        headers=headers,
        timeout=30,
        trust_env=False,
    )


@pytest.mark.parametrize("mode", ["thread", "subprocess"])
def test_the_readme_photo_is_answered_with_the_bundled_sky_and_reported(
    mode: str, capfd: pytest.CaptureFixture[str]
) -> None:
    settings = EmulatorSettings(stand_ins=README_STAND_INS)
    with Emulator(settings=settings, mode=mode) as emulator:  # type: ignore[arg-type]
        response = ask(emulator, PHOTO_URL)
        sent = emulator.last_request.body["messages"][0]["content"][1]["image_url"]["url"]
    assert response.status_code == 200, response.text
    answer = response.json()["choices"][0]["message"]["content"]
    assert "Image 1: 640x360 jpeg, detail auto, landscape" in answer  # sky.jpg's pixels
    assert sent == PHOTO_URL  # the log keeps the URL the client sent
    reports = [line for line in capfd.readouterr().err.splitlines() if "stand-in" in line]
    assert reports == [f"stand-in: {PHOTO_URL} answered with the bundled sample sky.jpg"]


def test_any_prefix_can_stand_for_any_sample_and_other_urls_are_still_refused() -> None:
    settings = EmulatorSettings(stand_ins=(("https://images.example.org/fruit/", "apple.png"),))
    with Emulator(settings=settings) as emulator:
        stood_in = ask(emulator, "https://images.example.org/fruit/any/name.jpg?size=big")
        refused = ask(emulator, "https://images.example.org/other.jpg")
    assert stood_in.status_code == 200, stood_in.text
    assert "Image 1: 256x256 png" in stood_in.json()["choices"][0]["message"]["content"]
    assert refused.status_code == 400
    assert "never reaches the internet" in refused.json()["error"]


def test_without_stand_ins_the_readme_photo_is_refused(capfd: pytest.CaptureFixture[str]) -> None:
    with Emulator() as emulator:
        response = ask(emulator, PHOTO_URL)
    assert response.status_code == 400
    assert "Failed to fetch image" in response.json()["error"]
    assert "stand-in" not in capfd.readouterr().err


def test_a_stand_in_wins_over_an_alias_for_the_same_prefix() -> None:
    settings = EmulatorSettings(
        stand_ins=README_STAND_INS,
        url_aliases=(("https://upload.wikimedia.org/", "http://127.0.0.1:9/"),),  # closed port
    )
    with Emulator(settings=settings) as emulator:
        assert ask(emulator, PHOTO_URL).status_code == 200


def test_a_query_string_never_reaches_the_report(capfd: pytest.CaptureFixture[str]) -> None:
    with Emulator(settings=EmulatorSettings(stand_ins=README_STAND_INS)) as emulator:
        assert ask(emulator, f"{PHOTO_URL}?token=s3cr3t#frag").status_code == 200
    err = capfd.readouterr().err
    assert f"stand-in: {PHOTO_URL} answered" in err
    assert "s3cr3t" not in err


@pytest.mark.parametrize(
    ("stand_ins", "fragment"),
    [
        ((("https://upload.wikimedia.org/", "nope.png"),), "'nope.png' is not a bundled sample"),
        ((("upload.wikimedia.org/", "sky.jpg"),), "must be an http(s) URL prefix"),
        ((("", "sky.jpg"),), "must be an http(s) URL prefix"),
    ],
)
def test_bad_stand_ins_are_a_typed_error_naming_the_setting(
    stand_ins: tuple[tuple[str, str], ...], fragment: str
) -> None:
    with pytest.raises(EmulatorConfigError, match="stand_ins") as caught:
        EmulatorSettings(stand_ins=stand_ins)
    assert fragment in str(caught.value)
