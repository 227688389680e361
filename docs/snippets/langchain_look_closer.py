# A LangChain agent that looks closer: create_agent with ChatXAIVision and look_closer_tool.
# The model sees the whole receipt at low detail and asks for a crop of the part it needs.
# Needs XAI_API_KEY (and XAI_BASE_URL to use the emulator); receipt.png is in the current folder.
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage

from langchain_xai_vision import ChatXAIVision, image_block, look_closer_tool

look_closer = look_closer_tool({"receipt": "receipt.png"})  # name -> path, bytes or PIL image
agent = create_agent(ChatXAIVision(), tools=[look_closer])  # use_responses_api=True works too

question = HumanMessage(
    content=[
        {
            "type": "text",
            "text": "What is the total? Look closer at the bottom (box 0, 0.5, 1, 1).",
        },
        image_block("receipt.png", detail="low"),
    ]
)
result = agent.invoke({"messages": [question]})
for message in result["messages"]:
    if isinstance(message, ToolMessage):  # content: the tool's line of text, then the crop
        print(message.status, message.text)
print(result["messages"][-1].text)
