"""Render every catalog SVG badge to a PNG beside it (256 px), for baking PNG badges.

A development-time step, like bundling the contexts: run it after changing badge art, and commit the PNGs. The
library never rasterises SVG at run time. Needs `rsvg-convert` (Debian package librsvg2-bin).
``--check`` fails when an SVG has no PNG rendition (a test runs it).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

ISSUERS = Path(__file__).resolve().parents[1] / "issuers"
SIZE = "256"


def main() -> int:
    check = "--check" in sys.argv
    stale = []
    for svg in sorted(ISSUERS.glob("*/images/*.svg")):
        png = svg.with_suffix(".png")
        if png.is_file() and (check or png.stat().st_mtime >= svg.stat().st_mtime):
            continue
        if check:
            stale.append(png)
            continue
        tool = shutil.which("rsvg-convert")
        if tool is None:
            print("rsvg-convert is missing: apt-get install librsvg2-bin", file=sys.stderr)
            return 2
        subprocess.run([tool, "-w", SIZE, "-h", SIZE, "-o", str(png), str(svg)], check=True)
        print(f"rendered {png.relative_to(ISSUERS.parent)}")
    if stale:
        print(
            "missing PNG renditions (run scripts/render_badge_pngs.py): " + ", ".join(str(p) for p in stale),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
