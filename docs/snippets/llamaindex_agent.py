# A FunctionAgent over XAIVision: one tool, and an image in the user message. Needs XAI_API_KEY.
import asyncio

from llama_index.core.agent.workflow import FunctionAgent
from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock

from llama_index_xai_vision import XAIVision


def stock_count(fruit: str) -> str:
    """How many of a fruit are in stock."""
    return f"There are 7 {fruit}s in stock."


async def main() -> None:
    agent = FunctionAgent(tools=[stock_count], llm=XAIVision(), system_prompt="You run a shop.")
    question = ChatMessage(
        role="user",
        blocks=[
            TextBlock(text='How many of this fruit ("apple") are in stock?'),
            ImageBlock(path="apple.png"),
        ],
    )
    result = await agent.run(user_msg=question)
    print([call.tool_name for call in result.tool_calls])
    print(result.response.content)


asyncio.run(main())
