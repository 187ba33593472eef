"""Chatgroup domain: groups, memberships and the inbox, shared by every function."""

# SnapStart's runtime hooks, registered by every function's init (each imports this package).
from chatgroup import snapstart as _snapstart  # noqa: F401
