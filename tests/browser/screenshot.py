"""`make screenshot`: the README's pictures of a group's page, at desktop and phone width.

    python -m tests.browser.screenshot docs    # writes docs/web-app.png and docs/web-app-phone.png

A stack of its own on free ports (as the tests start one), a scene set over the API, then
alice's Chromium on the group's page. Not part of `make test`, which leaves the tree as it was.
"""

import sys
import tempfile
import time
from pathlib import Path

from tests.browser.conftest import DESKTOP, PHONE, App, api_user, chromium
from tests.e2e.conftest import free_port, launch

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
            driver = chromium(size)
            try:
                app = App(user="alice", driver=driver, web_url=str(stack.web_url))
                app.sign_in(stack.users["alice"])
                app.go(f"#/group/{chatgroup_id}")
                app.wait_for_text(".timeline", "Thanks for having me!")
                app.wait_for_text("#live-status", "live")
                time.sleep(0.3)  # fonts and the scroll to the newest message settle
                driver.save_screenshot(str(folder / name))
                pictures.append(folder / name)
            finally:
                driver.quit()
        return pictures
    finally:
        process.stop()


if __name__ == "__main__":
    for picture in take(Path(sys.argv[1] if len(sys.argv) > 1 else "docs")):
        print(picture)
