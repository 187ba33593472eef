"""The one JSON encoding of what the service sends: compact UTF-8, for REST answers and WebSocket frames alike.

Non-ASCII is sent as is: escaped, a 4,000-emoji message would be 48 KB, over API Gateway's 32 KB
WebSocket frame limit, and a page of CJK chat twice its size. Stored text cannot hold a lone
surrogate (the validators refuse it, and DynamoDB would), so every answer encodes. Plain `json`,
so that the WebSocket functions load no models to encode a frame.
"""

import json
from typing import Any


def compact_json(value: Any, **options: Any) -> str:
    """`value` as JSON text; `options` go to `json.dumps` (the REST resolver passes its encoder class)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), **options)
