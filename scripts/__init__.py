"""Operators' commands, run with `make`: each module says what it does."""
