"""What went wrong in a frame, said so that a node implementer can fix their encoder."""

from collections.abc import Iterable


class FieldError(Exception):
    """A field failed to decode; raised inside the codec and given its path on the way out."""

    def __init__(self, reason: str, offset: int):
        super().__init__(reason)
        self.reason = reason
        self.offset = offset
        self.path = []


class DecodeError(Exception):
    """A frame that does not decode as JIP-3.

    ``discriminator`` and ``event_name`` are None where the frame ended before them or the
    message is the node information; ``field_path`` reads like
    ``WorkPackageReceived.outline.items[1].imports[0]``; ``offset`` counts bytes from the start
    of the frame (after its 4-byte size).
    """

    def __init__(
        self,
        reason: str,
        offset: int,
        field_path: str | None = None,
        discriminator: int | None = None,
        event_name: str | None = None,
    ):
        self.reason = reason
        self.offset = offset
        self.field_path = field_path
        self.discriminator = discriminator
        self.event_name = event_name
        super().__init__(str(self))

    def __str__(self):
        where = (
            self.field_path
            or self.event_name
            or (f"event {self.discriminator}" if self.discriminator is not None else "frame")
        )
        return f"{where}: {self.reason} (at byte {self.offset})"

    def as_dict(self) -> dict:
        return {
            "discriminator": self.discriminator,
            "event_name": self.event_name,
            "field_path": self.field_path,
            "offset": self.offset,
            "reason": self.reason,
        }


def join_path(root: str | None, segments: Iterable[str | int]) -> str:
    """``root`` plus field names and ``[i]`` indices, as one dotted path."""
    path = root or ""
    for segment in segments:
        if isinstance(segment, int):
            path += f"[{segment}]"
        else:
            path += f".{segment}" if path else segment
    return path
