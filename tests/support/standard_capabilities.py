"""What ChatXAIVision supports, as langchain-tests' standard suites ask it: one mixin for the
unit and the integration suite, so the two never disagree."""

from __future__ import annotations


class ChatXAIVisionCapabilities:
    """The standard suites' capability flags for ChatXAIVision (put it first in the bases: its
    class attributes then stand for the suites' properties of the same names)."""

    supports_image_inputs = True
    supports_image_urls = True
    supports_image_tool_message = True
    #: Yes: file parts (chat completions uploads the PDF first) or input_file (responses).
    supports_pdf_inputs = True
    #: Yes: a file part in the tool message, or (responses) a user message right after.
    supports_pdf_tool_message = True
    #: No: xAI takes text, images and PDFs.
    supports_audio_inputs = False
    supports_json_mode = True
    supports_anthropic_inputs = True
    model_override_value = "grok-4"
