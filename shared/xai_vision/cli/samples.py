"""``xai-vision samples``: copy the bundled sample images into a folder to try things on."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from xai_vision.errors import RequestValidationError
from xai_vision.samples import SAMPLE_NAMES, sample_path

__all__ = ["CopiedSamples", "copy_samples"]


@dataclass
class CopiedSamples:
    """Where each sample ended up: written, already there (same bytes), or skipped."""

    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)


def copy_samples(folder: Path, *, force: bool = False) -> CopiedSamples:
    """Copy every bundled sample into ``folder`` (created if missing).

    A file already there with the same bytes is left alone; a different one is skipped unless
    ``force``. Anything there that is not a file (a folder of the same name) is always
    skipped. ``folder`` being a file is a :class:`RequestValidationError`; a folder that
    cannot be written raises :class:`OSError`.
    """
    if folder.exists() and not folder.is_dir():
        raise RequestValidationError(f"{folder} is a file: give a folder to copy the samples into")
    folder.mkdir(parents=True, exist_ok=True)
    copied = CopiedSamples()
    for name in SAMPLE_NAMES:
        source, target = sample_path(name), folder / name
        if target.exists() or target.is_symlink():
            if target.is_file() and target.read_bytes() == source.read_bytes():
                copied.unchanged.append(target)
                continue
            if not (force and (target.is_file() or target.is_symlink())):
                copied.skipped.append(target)
                continue
            if target.is_symlink():  # replace the link itself, never the file it points to
                target.unlink()
        shutil.copyfile(source, target)
        copied.written.append(target)
    return copied
