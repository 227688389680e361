"""What ChatXAIVision supports, as langchain-tests' standard suites ask it: one mixin for the
unit and the integration suite, so the two never disagree."""

from __future__ import annotations


class ChatXAIVisionCapabilities:
    """The standard suites' capability flags for ChatXAIVision (put it first in the bases)."""

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        """Yes: file parts (chat completions uploads the PDF first) or input_file (responses)."""
        return True

    @property
    def supports_pdf_tool_message(self) -> bool:
        """Yes: a file part in the tool message, or (responses) a user message right after."""
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        """No: xAI takes text, images and PDFs."""
        return False

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_anthropic_inputs(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "grok-4"
