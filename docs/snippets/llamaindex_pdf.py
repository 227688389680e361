# PDFs in LlamaIndex: a DocumentBlock (bytes, path or URL); XAIVision checks it before sending.
# Needs XAI_API_KEY (and XAI_BASE_URL to use the emulator); receipt.png is in the current folder.
from llama_index.core.llms import ChatMessage, DocumentBlock, TextBlock
from PIL import Image
from xai_vision import DocumentOptions

from llama_index_xai_vision import XAIVision

Image.open("receipt.png").convert("RGB").save("receipt.pdf")  # a one-page scan as a PDF
message = ChatMessage(
    role="user",
    blocks=[TextBlock(text="What is the total?"), DocumentBlock(path="receipt.pdf")],
)
print(XAIVision(use_responses_api=True).chat([message]).message.content)  # input_file, inline

# Rendered pages instead of a file part (any model that takes images reads them):
llm = XAIVision(document_options=DocumentOptions(mode="pages", pages="1", detail="low"))
print(llm.chat([message]).message.content)
