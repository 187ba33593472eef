"""The one encoding of WebSocket frames: compact UTF-8 JSON, for the fan-out and for `$default`'s answers alike.

Non-ASCII is sent as is: escaping it would make a 4,000-emoji message 48 KB, over API Gateway's
32 KB frame limit. Plain `json`, so that the WebSocket functions load no models to encode a frame.
"""

import json
from typing import Any


def frame_text(frame: dict[str, Any]) -> str:
    """A frame as the JSON text a client receives."""
    return json.dumps(frame, ensure_ascii=False, separators=(",", ":"))
