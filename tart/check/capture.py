"""Splitting a byte stream into JIP-3 frames: a little-endian u32 size, then that many bytes."""

from tart.protocol import FRAME_SIZE


class FramingError(Exception):
    """The stream cannot be split into frames from here on; ``offset`` is where, in the stream."""

    def __init__(self, reason, offset):
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


def frames(stream, max_frame):
    """``(offset, message)`` for each frame of a binary stream, ``offset`` being where its size
    starts; a frame larger than ``max_frame`` ends it, as it ends a connection to TART."""
    offset = 0
    while True:
        prefix = stream.read(FRAME_SIZE.size)
        if not prefix:
            return
        if len(prefix) < FRAME_SIZE.size:
            raise FramingError(
                f"{len(prefix)} byte{'s' if len(prefix) > 1 else ''} after the last frame, "
                f"too few for a frame size ({FRAME_SIZE.size} bytes)",
                offset,
            )
        (size,) = FRAME_SIZE.unpack(prefix)
        if size > max_frame:
            raise FramingError(_oversized(prefix, size, max_frame), offset)
        message = stream.read(size)
        if len(message) < size:
            raise FramingError(
                f"ends inside a frame: its size says {size} bytes, {len(message)} follow", offset
            )
        yield offset, message
        offset += FRAME_SIZE.size + size


def _oversized(prefix, size, max_frame):
    reason = (
        f"frame size {size} (bytes {prefix.hex(' ')}) exceeds TART_MAX_FRAME ({max_frame}); "
        f"TART closes the connection here"
    )
    big_endian = int.from_bytes(prefix, "big")
    if big_endian <= max_frame:
        reason += f". Read big-endian it would be {big_endian}: the size must be little-endian"
    return reason
