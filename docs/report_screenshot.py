"""Redraw ``docs/report.png``: a batch over the bundled samples on the emulator, its HTML report,
and a headless-Chromium screenshot of the report's top (``python docs/report_screenshot.py``).

One unreadable file joins the samples so the picture shows a failure too. Needs the ``cli``
extra and Debian's ``chromium``; runs offline.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image
from xai_vision.emulator import Emulator
from xai_vision.report import write_report
from xai_vision.samples import sample_paths

OUT = Path(__file__).resolve().parent / "report.png"
sys.path.insert(0, str(OUT.parents[1] / "tests" / "support"))
from report_helpers import CHROMIUM_FLAGS  # noqa: E402  (the tests' own Chromium settings)

WINDOW = (1100, 1060)


def main() -> int:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.stderr.write("needs headless Chromium: apt-get install chromium\n")
        return 1
    with tempfile.TemporaryDirectory(prefix="xai-vision-report-") as work:
        folder = Path(work) / "photos"
        folder.mkdir()
        for path in sample_paths():
            shutil.copy(path, folder / path.name)
        (folder / "broken_scan.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"cut off in transfer")
        results = Path(work) / "results.jsonl"
        with Emulator() as emulator:
            subprocess.run(  # noqa: S603 - our own argv, no shell
                [sys.executable, "-m", "xai_vision.cli", "batch", str(folder),
                 "-p", "Describe the picture in one line", "--out", str(results),
                 "--concurrency", "1",
                 "--base-url", emulator.base_url, "--api-key", emulator.api_key],
                check=False,  # broken_scan.png fails: exit status 1 by design
                capture_output=True,
                timeout=120,
            )  # fmt: skip
        report = write_report(results, Path(work) / "report.html").path
        shot = Path(work) / "shot.png"
        subprocess.run(  # noqa: S603 - our own argv, no shell
            [chromium, *CHROMIUM_FLAGS, f"--user-data-dir={Path(work) / 'profile'}",
             f"--window-size={WINDOW[0]},{WINDOW[1]}", f"--screenshot={shot}", report.as_uri()],
            check=True,
            capture_output=True,
            timeout=120,
        )  # fmt: skip
        with Image.open(shot) as image:
            small = image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT)
            small.save(OUT, optimize=True)
    sys.stderr.write(f"wrote {OUT} ({OUT.stat().st_size / 1024:.0f} KiB)\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
