# Structured output from an image: structured_predict uses xAI's json_schema response format.
# Needs XAI_API_KEY; receipt.png is in the current folder.
from llama_index.core.llms import ChatMessage, ImageBlock, TextBlock
from llama_index.core.prompts import ChatPromptTemplate
from pydantic import BaseModel, Field

from llama_index_xai_vision import XAIVision


class Receipt(BaseModel):
    """The main facts of a shop receipt."""

    shop: str = Field(description="The shop's name")
    items: int = Field(description="How many line items")
    total: float = Field(description="The total paid")


prompt = ChatPromptTemplate(
    message_templates=[
        ChatMessage(
            role="user",
            blocks=[TextBlock(text="Read this {what}."), ImageBlock(path="receipt.png")],
        )
    ]
)
llm = XAIVision(temperature=0)
receipt = llm.structured_predict(Receipt, prompt, what="receipt")
print(receipt)

# The same through as_structured_llm: response.raw is the Receipt.
structured = llm.as_structured_llm(Receipt)
print(structured.chat(prompt.format_messages(what="receipt")).raw)
