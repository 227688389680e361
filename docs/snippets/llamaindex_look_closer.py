# A LlamaIndex agent that looks closer: FunctionAgent with XAIVision and look_closer_tool (the
# same tool works in an AgentWorkflow). Needs XAI_API_KEY; receipt.png is in the current folder.
import asyncio

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock

from llama_index_xai_vision import XAIVision, look_closer_tool


async def main() -> None:
    agent = FunctionAgent(
        tools=[look_closer_tool({"receipt": "receipt.png"})],
        llm=XAIVision(),
        system_prompt="You read receipts. Look closer at anything too small to read.",
    )
    question = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text="What is the total? Look closer at the bottom (box 0, 0.5, 1, 1)."),
            ImageBlock(path="receipt.png", detail="low"),
        ],
    )
    result = await agent.run(user_msg=question)
    for call in result.tool_calls:  # the output's blocks: a TextBlock, then the crop's ImageBlock
        print(call.tool_kwargs, "->", call.tool_output.content)
    print(result.response.content)


asyncio.run(main())
