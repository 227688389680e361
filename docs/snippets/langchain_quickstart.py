# LangChain quickstart: ask Grok about a picture. Needs XAI_API_KEY (and XAI_BASE_URL to use
# the emulator); apple.png and sky.jpg are in the current folder.
from langchain_core.messages import HumanMessage

from langchain_xai_vision import ChatXAIVision, image_block

model = ChatXAIVision(model="grok-4-fast-non-reasoning", temperature=0)

message = HumanMessage(
    content=[
        {"type": "text", "text": "What is in these pictures?"},
        image_block("apple.png", detail="high"),  # a path, bytes, a PIL image or a URL
        image_block("sky.jpg"),
    ]
)
answer = model.invoke([message])
print(answer.content)
print(answer.usage_metadata)  # input_token_details={"image": ...}, output_token_details={...}
print(answer.response_metadata["model_name"], answer.response_metadata["usage"])
