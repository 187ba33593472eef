"""The app's pages in real Chromium: focus and addresses, the message at the top, markers, settings, names."""

import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from devstack.stackfile import StackInfo
from tests.browser.conftest import App, api_user
from tests.browser.test_chat_app import open_group


def active_element_id(app: App) -> str:
    return str(app.driver.execute_script("return document.activeElement.id"))


def test_the_skip_link_moves_the_focus_to_the_content_and_stays_on_the_page(alice_app: App) -> None:
    # Given alice on her inbox
    alice_app.go("#/inbox")
    alice_app.wait_for("section[aria-labelledby='received-title']")

    # When she follows "Skip to content" with the keyboard
    alice_app.driver.find_element(By.CSS_SELECTOR, ".skip").send_keys(Keys.ENTER)

    # Then the focus is on the page's content, and the page is still her inbox
    alice_app.wait_until(lambda: active_element_id(alice_app) == "view", "the focus on the content")
    assert alice_app.hash == "#/inbox"
    alice_app.wait_for("section[aria-labelledby='received-title']")


def test_a_new_page_takes_the_focus_to_its_content(alice_app: App) -> None:
    # Given alice on My groups
    alice_app.go("#/")
    alice_app.wait_for("section[aria-labelledby='mine-title']")

    # When she follows the header's Inbox link
    alice_app.driver.find_element(By.LINK_TEXT, "Inbox").click()

    # Then the focus has left the link for the new page's content
    alice_app.wait_for("section[aria-labelledby='received-title']")
    assert active_element_id(alice_app) == "view"


def test_a_malformed_address_shows_page_not_found(alice_app: App) -> None:
    # Given alice on her inbox
    alice_app.go("#/inbox")
    alice_app.wait_for("section[aria-labelledby='received-title']")

    # When the address holds a broken escape
    alice_app.go("#/group/%E0%A4%A")

    # Then the page says there is nothing there, instead of staying on the inbox
    alice_app.wait_for_text("#view h2", "Page not found")
    assert alice_app.driver.find_elements(By.CSS_SELECTOR, "section[aria-labelledby='received-title']") == []


def test_a_message_at_the_top_is_gone_on_the_next_page(stack: StackInfo, alice_app: App) -> None:
    # Given alice has just banned dave from her group, and the page says so
    group = api_user(stack, "alice").create_group(name=f"Bans {uuid.uuid4().hex[:6]}")
    open_group(alice_app, group["chatgroup_id"])
    bans = alice_app.wait_for("section[aria-labelledby='bans-title']")
    alice_app.field("who_to_ban", bans).send_keys("dave")
    alice_app.button("Ban", bans).click()
    alice_app.wait_for_text("#flash", "dave is banned.")

    # When she opens her inbox
    alice_app.go("#/inbox")
    alice_app.wait_for("section[aria-labelledby='received-title']")

    # Then the message is gone
    assert alice_app.text_of("#flash") == ""


def test_the_creator_who_dismisses_is_told_it_is_dismissed(stack: StackInfo, alice_app: App, bob_app: App) -> None:
    # Given a group of alice and bob, both on its page
    name = f"Dismiss {uuid.uuid4().hex[:6]}"
    group = api_user(stack, "alice").create_group(name=name, memberlist="bob")
    open_group(bob_app, group["chatgroup_id"])
    open_group(alice_app, group["chatgroup_id"])

    # When alice dismisses it
    alice_app.button("Dismiss the group").click()
    alice_app.button("Yes, dismiss it for everyone").click()

    # Then bob is told by his `revoked` frame; alice's own frame, sent with his, leaves her message as it was
    bob_app.wait_for_text("#flash", f"“{name}” was dismissed by its creator.")
    alice_app.wait_for_text("#flash", f"“{name}” is dismissed.")
    assert alice_app.hash == "#/"
    assert alice_app.driver.find_elements(By.CSS_SELECTOR, "#flash .error") == []


def test_a_listed_group_is_marked_new_when_a_message_arrives(stack: StackInfo, alice_app: App) -> None:
    # Given alice has read her group with bob and is back on My groups, where it has no "new" marker
    group = api_user(stack, "alice").create_group(name=f"Marker {uuid.uuid4().hex[:6]}", memberlist="bob")
    open_group(alice_app, group["chatgroup_id"])
    alice_app.wait_for(".timeline li, .chat .status .empty")  # its history read
    alice_app.go("#/")
    row = f".group-row[data-group='{group['chatgroup_id']}']"
    alice_app.wait_for(row)
    assert alice_app.driver.find_elements(By.CSS_SELECTOR, f"{row} .new") == []

    # When bob writes in it
    sent = api_user(stack, "bob").call("POST", f"/api/v1/chatgroup/{group['chatgroup_id']}/messages", {"text": "hi"})
    assert sent.status_code == 200, sent.text

    # Then its row gets the marker, without a reload
    alice_app.wait_for_text(f"{row} .new", "new")


def test_the_creator_removes_the_event_id_and_photo_by_emptying_them(stack: StackInfo, alice_app: App) -> None:
    # Given alice's group with an event id and a photo, open on its page
    alice = api_user(stack, "alice")
    group = alice.create_group(
        name=f"Settings {uuid.uuid4().hex[:6]}", eventid="clear-me", photo="http://127.0.0.1:9/p.png"
    )
    open_group(alice_app, group["chatgroup_id"])
    settings = alice_app.wait_for("form[aria-labelledby='settings-title']")

    # When she empties both fields and saves
    alice_app.field("eventid", settings).clear()
    alice_app.field("photo", settings).clear()
    alice_app.button("Save", settings).click()

    # Then the group has neither any more
    alice_app.wait_for_text("#flash", "The group is updated.")
    stored = alice.group(group["chatgroup_id"]).json()
    assert (stored.get("EventID"), stored.get("PhotoID")) == (None, None)


def test_a_names_writing_direction_stays_inside_the_name(stack: StackInfo, alice_app: App) -> None:
    # Given a group whose name is right-to-left text (Hebrew), which would pull the neutral text after it
    # (counts, times) into its own direction; the API refuses the overrides (U+202E) that would do worse
    name = f"\u05e9\u05dc\u05d5\u05dd {uuid.uuid4().hex[:6]}"
    group = api_user(stack, "alice").create_group(name=name)

    # When alice sees it listed and on its page
    alice_app.go("#/")
    alice_app.wait_for(f".group-row[data-group='{group['chatgroup_id']}']")
    listed = isolated_texts(alice_app, f".group-row[data-group='{group['chatgroup_id']}']")
    open_group(alice_app, group["chatgroup_id"])
    headed = isolated_texts(alice_app, ".group-header h2")

    # Then each time the name is isolated from the text around it
    assert name in listed
    assert name in headed


def isolated_texts(app: App, css: str) -> list[str]:
    """The texts under `css` whose element isolates its writing direction (<bdi>, unicode-bidi: isolate)."""
    return list(
        app.driver.execute_script(
            """return [...document.querySelector(arguments[0]).querySelectorAll("*")]
                .filter((element) => getComputedStyle(element).unicodeBidi === "isolate")
                .map((element) => element.textContent);""",
            css,
        )
    )
