# The same question on both endpoints: the answer, usage and streams look the same.
# Needs XAI_API_KEY (and XAI_BASE_URL to use the emulator); apple.png is in the current folder.
from langchain_core.messages import HumanMessage
from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock

from langchain_xai_vision import ChatXAIVision, image_block
from llama_index_xai_vision import XAIVision

question = HumanMessage(["What fruit is this?", image_block("apple.png", detail="high")])
for use_responses_api in (False, True):
    model = ChatXAIVision(model="grok-4-fast-non-reasoning", use_responses_api=use_responses_api)
    answer = model.invoke([question])
    usage = answer.usage_metadata or {}
    print("responses" if use_responses_api else "chat completions", "->", answer.text[:40])
    print(
        "  input tokens:",
        usage.get("input_tokens"),
        "stored:",
        answer.response_metadata.get("stored"),
    )

# Multi-turn on the responses endpoint: after a stored answer only the new message is sent.
chat = ChatXAIVision(use_responses_api=True, use_previous_response_id=True)
history = [HumanMessage("Name a fruit that is red.")]
history.append(chat.invoke(history))
history.append(HumanMessage("And one that is yellow?"))
print(chat.invoke(history).text.splitlines()[-1])

# LlamaIndex: the same switch.
llm = XAIVision(use_responses_api=True)
message = ChatMessage(
    role="user", blocks=[TextBlock(text="What is this?"), ImageBlock(path="apple.png")]
)
print(llm.chat([message]).raw["usage"])
