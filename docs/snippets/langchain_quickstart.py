# LangChain quickstart: ask Grok about pictures from a path, bytes and a URL. Needs XAI_API_KEY
# (and XAI_BASE_URL to use the emulator); apple.png and sky.jpg are in the current folder.
from pathlib import Path

from langchain_core.messages import HumanMessage

from langchain_xai_vision import ChatXAIVision, image_block

# A public-domain photo on Wikimedia Commons; xAI downloads it, the package sends only the URL.
PHOTO_URL = "https://upload.wikimedia.org/wikipedia/commons/thumb/d/dd/Gfp-wisconsin-madison-the-nature-boardwalk.jpg/2560px-Gfp-wisconsin-madison-the-nature-boardwalk.jpg"

model = ChatXAIVision(model="grok-4-fast-non-reasoning", temperature=0)

message = HumanMessage(
    content=[
        {"type": "text", "text": "What is in these pictures?"},
        image_block("apple.png", detail="high"),  # a path
        image_block(Path("sky.jpg").read_bytes()),  # bytes (or a PIL image, or a data URI)
        image_block(PHOTO_URL),  # an https URL, sent as it is
    ]
)
answer = model.invoke([message])
print(answer.content)
print(answer.usage_metadata)  # input_token_details={"image": ...}, output_token_details={...}
print(answer.response_metadata["model_name"], answer.response_metadata["usage"])
