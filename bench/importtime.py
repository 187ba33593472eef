"""`python -X importtime` read as a tree, to say which dependency a cold start's import time goes to.

Cumulative times depend on import order (whoever imports botocore first pays for it), so the
breakdown charges each module's *self* time to a package instead: a third-party module to its
own distribution, a standard-library module to the nearest third-party (or first-party) module
that imported it, so that e.g. asyncio pulled in by Powertools counts as Powertools'.
"""

import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field

_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)$")
FIRST_PARTY = ("chatgroup", "app")
OURS = "chatgroup + app (ours)"
STARTUP = "python (interpreter, stdlib)"
_GROUPS = {
    "aws_lambda_powertools": "aws_lambda_powertools",
    "aws_xray_sdk": "aws_xray_sdk",
    "wrapt": "aws_xray_sdk",
    "pydantic": "pydantic",
    "pydantic_core": "pydantic",
    "annotated_types": "pydantic",
    "typing_inspection": "pydantic",
    "pynamodb": "pynamodb",
    "botocore": "botocore",
    "jmespath": "botocore",
    "dateutil": "botocore",
    "six": "botocore",
    "urllib3": "botocore",
    "boto3": "boto3 + s3transfer",
    "s3transfer": "boto3 + s3transfer",
}


@dataclass
class Node:
    module: str
    self_us: int
    cumulative_us: int
    children: list["Node"] = field(default_factory=list)

    @property
    def top(self) -> str:
        return self.module.split(".", 1)[0]


def parse(stderr: str) -> list[Node]:
    """The import tree, roots in the order they were imported (the report lists children before parents)."""
    pending: dict[int, list[Node]] = {}
    for line in stderr.splitlines():
        found = _LINE.match(line)
        if not found:
            continue
        self_us, cumulative_us, indent, module = found.groups()
        depth = len(indent) // 2
        node = Node(module, int(self_us), int(cumulative_us), pending.pop(depth + 1, []))
        pending.setdefault(depth, []).append(node)
    return pending.get(0, [])


def walk(roots: list[Node]) -> Iterator[tuple[Node, Node | None]]:
    """Every node with its parent (None for a root)."""
    stack: list[tuple[Node, Node | None]] = [(root, None) for root in reversed(roots)]
    while stack:
        node, parent = stack.pop()
        yield node, parent
        stack.extend((child, node) for child in reversed(node.children))


def group_of(module_top: str) -> str | None:
    """The package a module's time is charged to; None for the standard library (charged to its importer)."""
    if module_top in FIRST_PARTY:
        return OURS
    if module_top in sys.stdlib_module_names or module_top.startswith("_") or module_top == "encodings":
        return None
    return _GROUPS.get(module_top, module_top)


def by_package(roots: list[Node]) -> dict[str, int]:
    """Self time in µs per package, each standard-library module charged to the package that imported it."""
    totals: dict[str, int] = {}

    def charge(node: Node, inherited: str) -> None:
        group = group_of(node.top) or inherited
        totals[group] = totals.get(group, 0) + node.self_us
        for child in node.children:
            charge(child, group)

    for root in roots:
        charge(root, STARTUP)
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


@dataclass(frozen=True)
class OurImport:
    importer: str
    module: str
    cumulative_us: int


def our_imports(roots: list[Node], limit: int = 12) -> list[OurImport]:
    """The costliest imports made by our own modules: a first-party module's direct third-party imports,
    and its own body's time (model classes built, Powertools objects created) as `importer -> (body)`."""
    found = []
    for node, _ in walk(roots):
        if group_of(node.top) != OURS:
            continue
        found.append(OurImport(node.module, "(body)", node.self_us))
        found.extend(
            OurImport(node.module, child.module, child.cumulative_us)
            for child in node.children
            if group_of(child.top) not in (OURS, None)
        )
    return sorted(found, key=lambda entry: -entry.cumulative_us)[:limit]


def total_us(roots: list[Node]) -> int:
    return sum(root.cumulative_us for root in roots)
