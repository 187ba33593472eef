"""Chatgroup domain: groups, memberships and the inbox, shared by every function."""
