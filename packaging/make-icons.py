"""Render the PNG, ICO and ICNS application icons from resources/icons/vp-desk.svg."""

import os
import struct
import sys
from pathlib import Path

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
from PySide6.QtGui import QGuiApplication, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

ICON_FOLDER = Path(__file__).resolve().parent.parent / "resources" / "icons"
MASTER = ICON_FOLDER / "vp-desk.svg"

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS element types that hold PNG data, by edge length in pixels.
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
)


def render_png(renderer: QSvgRenderer, size: int) -> bytes:
    """Render the master at size x size pixels and return PNG bytes."""
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)

    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter)
    painter.end()

    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide6 6.12 accepts the format only as str, although its stubs declare bytes.
    if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
        raise RuntimeError(f"could not encode the {size} px icon as PNG")
    buffer.close()
    return bytes(data.data())


def build_ico(images: dict[int, bytes]) -> bytes:
    """Pack PNG images into an ICO file, whose PNG entries Windows Vista and later read."""
    sizes = [size for size in ICO_SIZES if size in images]
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries = b""
    payload = b""
    for size in sizes:
        data = images[size]
        # A width or height of 0 in the directory entry means 256.
        edge = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", edge, edge, 0, 0, 1, 32, len(data), offset)
        payload += data
        offset += len(data)
    return header + entries + payload


def build_icns(images: dict[int, bytes]) -> bytes:
    """Pack PNG images into an ICNS file: a big-endian header and typed elements."""
    body = b""
    for kind, size in ICNS_TYPES:
        data = images[size]
        body += kind + struct.pack(">I", len(data) + 8) + data
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def main() -> int:
    """Write the icon files into resources/icons and list them."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    app = QGuiApplication(sys.argv[:1])

    renderer = QSvgRenderer(str(MASTER))
    if not renderer.isValid():
        print(f"make-icons: {MASTER} is not a valid SVG file", file=sys.stderr)
        return 1

    all_sizes = sorted({*PNG_SIZES, *ICO_SIZES, *(size for _, size in ICNS_TYPES)})
    images = {size: render_png(renderer, size) for size in all_sizes}

    outputs: dict[str, bytes] = {f"vp-desk-{size}.png": images[size] for size in PNG_SIZES}
    outputs["vp-desk.ico"] = build_ico(images)
    outputs["vp-desk.icns"] = build_icns(images)
    for name, data in outputs.items():
        (ICON_FOLDER / name).write_bytes(data)
        print(f"{name}: {len(data)} bytes")

    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
