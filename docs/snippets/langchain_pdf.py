# PDFs in LangChain: a standard file block; ChatXAIVision checks the PDF before sending it.
# Needs XAI_API_KEY (and XAI_BASE_URL to use the emulator); receipt.png is in the current folder.
import base64
from pathlib import Path

from langchain_core.messages import HumanMessage
from PIL import Image

from langchain_xai_vision import ChatXAIVision

Image.open("receipt.png").convert("RGB").save("receipt.pdf")  # a one-page scan as a PDF
pdf = base64.b64encode(Path("receipt.pdf").read_bytes()).decode()
document = {"type": "file", "base64": pdf, "mime_type": "application/pdf"}
question = HumanMessage([{"type": "text", "text": "What is the total?"}, document])

# As a file part: chat completions uploads it (Files API, once per content) and sends its id;
# use_responses_api=True sends it inline as input_file.
print(ChatXAIVision().invoke([question]).text)

# Or as page images: page 1 rendered at the size `detail: high` is billed for (<= 1,792 tokens).
pages = ChatXAIVision(document_mode="pages", document_pages="1", document_detail="high")
print(pages.invoke([question]).text)
