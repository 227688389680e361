# XAIVisionMultiModal: a MultiModalLLM for image documents (SimpleDirectoryReader needs
# llama-index-readers-file to read images as ImageDocument). Needs XAI_API_KEY.
from llama_index.core import SimpleDirectoryReader

from llama_index_xai_vision import XAIVisionMultiModal

documents = SimpleDirectoryReader(".", required_exts=[".png", ".jpg"]).load_data()
llm = XAIVisionMultiModal(model="grok-4-fast-non-reasoning", detail="low")

response = llm.complete("Describe each picture in one line.", image_documents=documents)
print(response.text)
print("image tokens:", response.additional_kwargs["image_tokens"])

for chunk in llm.stream_complete("Which picture is greenest?", image_documents=documents):
    print(chunk.delta, end="", flush=True)
print()
