# An LCEL chain with an image variable: prompt | model | parser, streamed with usage.
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate

from langchain_xai_vision import ChatXAIVision, image_block

prompt = ChatPromptTemplate.from_messages(
    [
        ("system", "You describe pictures in one short paragraph."),
        (
            "user",
            [
                {"type": "text", "text": "{question}"},
                {"type": "image_url", "image_url": {"url": "{image}", "detail": "high"}},
            ],
        ),
    ]
)
model = ChatXAIVision()
chain = prompt | model | StrOutputParser()

image = image_block("sky.jpg")["image_url"]["url"]  # a data URI (or use any https:// URL)
for piece in chain.stream({"question": "What is the weather like?", "image": image}):
    print(piece, end="", flush=True)
print()

# Token usage arrives once, on the last streamed chunk:
full = None
for chunk in model.stream("Say hello"):
    full = chunk if full is None else full + chunk
print(full.usage_metadata)
