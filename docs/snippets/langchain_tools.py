# Tool calling with images: the model asks for a photo, the tool returns one, the model reads it.
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_core.tools import tool

from langchain_xai_vision import ChatXAIVision, image_block


@tool
def take_photo(subject: str) -> str:
    """Take a photo of the subject."""
    return subject


model = ChatXAIVision().bind_tools([take_photo], tool_choice="auto")  # or "any", "take_photo"
messages = [HumanMessage("Use take_photo to look at the apple, then describe it.")]
while True:
    reply = model.invoke(messages)
    messages.append(reply)
    if not reply.tool_calls:
        break
    for call in reply.tool_calls:
        # A tool result may carry images; they are sent to Grok like any other.
        photo = image_block("apple.png", detail="low")
        messages.append(ToolMessage(content=[photo], tool_call_id=call["id"]))
print(messages[-1].content)
