# Structured output from a picture: the line items of a receipt into a pydantic model.
from langchain_core.messages import HumanMessage
from pydantic import BaseModel, Field

from langchain_xai_vision import ChatXAIVision, image_block


class LineItem(BaseModel):
    description: str = Field(description="what was bought")
    amount: float = Field(description="price of the line")


class Receipt(BaseModel):
    items: list[LineItem]
    total: float


model = ChatXAIVision(optimize_images=True)  # downscale to what Grok reads: fewer bytes sent
extract = model.with_structured_output(Receipt)  # method="json_schema" (default),
#                                                # "function_calling" or "json_mode"
receipt = extract.invoke(
    [
        HumanMessage(
            content=[
                {"type": "text", "text": "List the line items and the total."},
                image_block("receipt.png", detail="high"),
            ]
        )
    ]
)
print(receipt)
