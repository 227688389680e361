"""xai-vision core: images in, xAI wire messages out, and the HTTP client."""

from xai_vision.tokens import estimate_image_tokens

__all__ = ["estimate_image_tokens"]
__version__ = "0.1.0"
