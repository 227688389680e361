# The core without a framework: prepare images, build messages, stream the answer.
from pathlib import Path

from xai_vision import ChatRequest, ImageCollector, StreamAccumulator, XAIClient, user_message
from xai_vision.images import ImageOptions

images = ImageCollector(ImageOptions(optimize=True))  # numbers images, checks every limit
message = user_message(
    [
        "Which of these is the apple?",
        images.add("apple.png", detail="low"),
        images.add(Path("sky.jpg").read_bytes()),  # bytes, paths, file objects, PIL images, URLs
    ]
)
print("estimated image tokens:", images.estimated_tokens)

with XAIClient() as client:  # XAI_API_KEY, XAI_BASE_URL; one connection pool per client
    request = ChatRequest(model="grok-4-fast-non-reasoning", messages=[message])
    answer = StreamAccumulator()
    for chunk in client.stream(request):
        print(chunk.content or "", end="", flush=True)
        answer.add(chunk)
    usage = answer.completion().usage
    print(f"\nimage tokens {usage.image_tokens}, total {usage.total_tokens}, {usage.cost_usd} USD")
