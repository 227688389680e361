# Images in every form LangChain code already writes; detail is kept in each of them.
import base64
from pathlib import Path

from langchain_core.messages import HumanMessage

from langchain_xai_vision import ChatXAIVision

data = base64.b64encode(Path("apple.png").read_bytes()).decode()
uri = f"data:image/png;base64,{data}"
model = ChatXAIVision()

message = HumanMessage(
    content=[
        {"type": "text", "text": "Compare these."},
        # OpenAI style
        {
            "type": "image_url",
            "image_url": {"url": uri, "detail": "low"},
        },
        # LangChain standard (v1) block
        {"type": "image", "base64": data, "mime_type": "image/png", "detail": "high"},
        # Anthropic style
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}},
    ]
)
print(model.invoke([message]).content)
