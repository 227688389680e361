"""``python -m xai_vision.cli``: the same as the ``xai-vision`` script."""

from xai_vision.cli import main

main()
