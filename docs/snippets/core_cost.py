# Before sending: the model's facts, the prompt's tokens message by message, and the cost.
from xai_vision import ChatRequest, ImageCollector, XAIClient, user_message

images = ImageCollector()
message = user_message(["What fruit is this?", images.add("apple.png")])
request = ChatRequest(model="grok-4-fast-non-reasoning", messages=[message], max_tokens=200)

with XAIClient() as client:  # XAI_API_KEY, XAI_BASE_URL
    model = client.model_profile(request.model)  # xAI's entry, from GET /v1/language-models
    print(model.name, "takes images:", model.takes_images, "context:", model.context_window)
    counted = client.count_tokens(request.messages, images.images, model=request.model)
    for part in counted.messages:  # text by xAI's tokenizer; images by the tile rule
        print(part.role, "text", part.text_tokens, "images", part.image_tokens)
    print(counted.total, "prompt tokens:", counted.note)
    estimate = client.estimate_cost(request, images.images)
    print(f"estimate: ${estimate.prompt_usd:.6f} for the prompt, at most ${estimate.max_usd:.6f}")
    usage = client.create(request).usage
    print(f"billed: {usage.prompt_tokens} prompt tokens, ${usage.cost_usd:.6f}")
