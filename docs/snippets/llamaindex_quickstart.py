# LlamaIndex quickstart: every XAIVision message can carry images, from a path, bytes or a URL.
# Needs XAI_API_KEY (and XAI_BASE_URL to use the emulator); apple.png and sky.jpg are in the
# current folder.
from pathlib import Path

from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock

from llama_index_xai_vision import XAIVision

# A public-domain photo on Wikimedia Commons; xAI downloads it, the package sends only the URL.
PHOTO_URL = "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg"

llm = XAIVision(model="grok-4-fast-non-reasoning", temperature=0)

message = ChatMessage(
    role="user",
    blocks=[
        TextBlock(text="What is in these pictures?"),
        ImageBlock(path="apple.png", detail="high"),  # a path
        ImageBlock(image=Path("sky.jpg").read_bytes()),  # bytes
        ImageBlock(url=PHOTO_URL),  # an https URL, sent as it is (or a data URI)
    ],
)
response = llm.chat([message])
print(response.message.content)
print(response.additional_kwargs)  # prompt, completion, total, image and reasoning tokens

for chunk in llm.stream_chat([message]):  # streams carry delta; the last one carries usage
    print(chunk.delta, end="", flush=True)
print()
print(chunk.raw["usage"]["prompt_tokens_details"]["image_tokens"])
