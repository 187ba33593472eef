"""`make screenshot`: the README's pictures of a group's page, at desktop and phone width.

    python -m tests.browser.screenshot docs    # writes docs/web-app.png and docs/web-app-phone.png

A stack of its own on free ports (as the tests start one), a scene set over the API, then
alice's Chromium on the group's page. Not part of `make test`, which leaves the tree as it was.
The times of the scene are the one thing that differs from run to run: the pictures show them
on a fixed clock (18:31, 18:32, …), so a run rewrites the PNGs only when the page looks different.
"""

import sys
import tempfile
from pathlib import Path

from devstack.stackfile import StackInfo
from tests.browser.conftest import DESKTOP, PHONE, App, api_user, chromium
from tests.e2e.conftest import free_port, launch

FIXED_CLOCK = """
    document.querySelectorAll(".timeline time").forEach((time, minute) => {
        time.textContent = `18:${31 + minute}`;
    });
"""
SETTLED = """
    const timeline = document.querySelector(".timeline");
    return document.fonts.status === "loaded"
        && timeline.scrollTop + timeline.clientHeight >= timeline.scrollHeight - 1;
"""

CONVERSATION = [
    ("bob", "Doors open at 19:00, shall we meet at the merch stand?"),
    ("alice", "Yes! I'll be there by 18:45."),
    ("carol", "Running late, save me a spot near the front"),
]


def take(folder: Path) -> list[Path]:
    ports = {name: str(free_port()) for name in ("PORT", "AWS_PORT", "WS_PORT", "WEB_PORT")}
    process = launch(Path(tempfile.mkdtemp(prefix="chatgroup-screenshot-")), **ports)
    try:
        stack = process.wait_until_ready()
        users = {name: api_user(stack, name) for name in ("alice", "bob", "carol", "dave")}
        group = users["alice"].create_group(
            name="Front row crew", capacity=8, memberlist="bob;carol", eventid="concert-2026"
        )
        chatgroup_id = group["chatgroup_id"]
        for sender, text in CONVERSATION:
            users[sender].call("POST", f"/api/v1/chatgroup/{chatgroup_id}/messages", {"text": text})
        users["dave"].send("application", chatgroup_id, message="Can I join you?")
        users["alice"].call(
            "PUT",
            "/api/v1/chatgroup/put",
            {"type": "application", "choice": "accept", "chatgroup_id": chatgroup_id, "who_apply": "dave"},
        )
        users["dave"].call("POST", f"/api/v1/chatgroup/{chatgroup_id}/messages", {"text": "Thanks for having me!"})
        pictures = []
        for size, name in ((DESKTOP, "web-app.png"), (PHONE, "web-app-phone.png")):
            take_picture(stack, chatgroup_id, size, folder / name)
            pictures.append(folder / name)
        return pictures
    finally:
        process.stop()


def take_picture(stack: StackInfo, chatgroup_id: str, size: tuple[int, int], path: Path) -> None:
    """alice's Chromium of this size on the group's page, saved to `path`."""
    driver = chromium(size)
    try:
        app = App(user="alice", driver=driver, web_url=str(stack.web_url))
        app.sign_in(stack.users["alice"])
        app.go(f"#/group/{chatgroup_id}")
        app.wait_for_text(".timeline", "Thanks for having me!")
        app.wait_for_text("#live-status", "live")
        driver.execute_script(FIXED_CLOCK)
        app.wait_until(lambda: driver.execute_script(SETTLED), "fonts loaded, the newest message in view")
        driver.save_screenshot(str(path))
    finally:
        driver.quit()


if __name__ == "__main__":
    for picture in take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(picture)
