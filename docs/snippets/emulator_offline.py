# Offline tests of your own chain: the emulator is a real HTTP server on 127.0.0.1.
from xai_vision.emulator import Emulator

from langchain_xai_vision import ChatXAIVision, image_block

with Emulator() as emu:
    model = ChatXAIVision(api_key=emu.api_key, base_url=emu.base_url)
    question = [{"type": "text", "text": "What fruit?"}, image_block("apple.png")]
    answer = model.invoke([("user", question)])
    print(answer.content)  # "I see 1 image.\nImage 1: 256x256 png, detail auto, ..."
    assert emu.requests[-1].body["messages"][0]["content"][1]["type"] == "image_url"

    emu.fail_next(2, status=429, retry_after=0)  # the next two requests are rate limited
    print(model.invoke("Still there?").content)  # retried, then answered
