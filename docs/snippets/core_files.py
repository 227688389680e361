# xAI's Files API on the client you already have: upload (streamed from disk), list, read back,
# delete; file_id_for uploads the same bytes once, and file_cache= remembers ids across runs.
from pathlib import Path

from xai_vision import XAIClient

with XAIClient(file_cache=Path(".xai-file-ids.json")) as client:  # XAI_API_KEY, XAI_BASE_URL
    file = client.files.upload(  # a path is read a chunk at a time; bytes need filename=
        "receipt.png", on_progress=lambda sent, total: print(f"sent {sent} of {total} bytes")
    )
    print(file.id, file.filename, file.bytes, "bytes")
    print("stored:", [f.filename for f in client.files.list()])
    assert client.files.content(file.id) == Path("receipt.png").read_bytes()
    client.files.delete(file.id)

    data = Path("receipt.png").read_bytes()
    file_id = client.files.file_id_for(data, "receipt.png")  # uploaded, or reused by SHA-256
    print("same id for the same bytes:", client.files.file_id_for(data, "receipt.png") == file_id)
