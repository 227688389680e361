# LlamaIndex quickstart: every XAIVision message can carry images. Needs XAI_API_KEY (and
# XAI_BASE_URL to use the emulator); apple.png and sky.jpg are in the current folder.
from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock

from llama_index_xai_vision import XAIVision

llm = XAIVision(model="grok-4-fast-non-reasoning", temperature=0)

message = ChatMessage(
    role="user",
    blocks=[
        TextBlock(text="What is in these pictures?"),
        ImageBlock(path="apple.png", detail="high"),  # a path, bytes, a URL or a data URI
        ImageBlock(path="sky.jpg"),
    ],
)
response = llm.chat([message])
print(response.message.content)
print(response.additional_kwargs)  # prompt, completion, total, image and reasoning tokens

for chunk in llm.stream_chat([message]):  # streams carry delta; the last one carries usage
    print(chunk.delta, end="", flush=True)
print()
print(chunk.raw["usage"]["prompt_tokens_details"]["image_tokens"])
