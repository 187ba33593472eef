"""The web app in real Chromium, as two people use it: alice and bob, each in their own browser."""

import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from devstack.stackfile import StackInfo
from tests.browser.conftest import PHONE, App, api_user

MARKUP = "<img src=x onerror=alert(1)>"


def open_group(app: App, chatgroup_id: str) -> None:
    app.go(f"#/group/{chatgroup_id}")
    app.wait_for(".group-header h2")
    app.wait_until(
        lambda: app.driver.execute_script("return document.querySelector('#live-status').dataset.state") == "live",
        "a live socket",
    )


def send(app: App, text: str) -> None:
    box = app.wait_for(".composer textarea")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)
    app.wait_until(lambda: box.get_attribute("value") == "", "the message box emptied after sending")


def messages(app: App) -> list[str]:
    return [element.text for element in app.driver.find_elements(By.CSS_SELECTOR, ".timeline .message .text")]


def test_an_invited_member_accepts_from_the_inbox_and_both_chat_live(alice_app: App, bob_app: App) -> None:
    # Given alice creates a group in the app and invites bob from its page
    name = f"Front row {uuid.uuid4().hex[:6]}"
    alice_app.go("#/")
    form = alice_app.wait_for("form[aria-labelledby='create-title']")
    alice_app.field("name", form).send_keys(name)
    alice_app.button("Create", form).click()
    alice_app.wait_for_text(".group-header h2", name)
    chatgroup_id = alice_app.driver.current_url.rsplit("/", 1)[1]
    invite = alice_app.wait_for("form[aria-labelledby='invite-title']")
    alice_app.field("who_to_invite", invite).send_keys("bob")
    alice_app.button("Invite", invite).click()
    alice_app.wait_for_text("form[aria-labelledby='invite-title']", "bob is invited.")

    # When bob accepts the invitation from his inbox
    bob_app.go("#/inbox")
    bob_app.wait_for_text(".inbox-row", f"alice invites you to {name}")
    bob_app.button("Accept").click()

    # Then he lands on the group's page, and alice sees him join without reloading
    bob_app.wait_for_text(".group-header h2", name)
    alice_app.wait_for_text(".timeline .notice", "bob joined")
    alice_app.wait_for_text(".members", "bob")

    # And each one's message reaches the other live
    open_group(bob_app, chatgroup_id)
    send(alice_app, "Hello bob")
    bob_app.wait_until(lambda: "Hello bob" in messages(bob_app), "alice's message")
    send(bob_app, "Hi alice")
    alice_app.wait_until(lambda: "Hi alice" in messages(alice_app), "bob's message")
    assert messages(alice_app) == messages(bob_app) == ["Hello bob", "Hi alice"]


def test_a_kicked_member_is_told_so_and_stops_receiving(stack: StackInfo, alice_app: App, bob_app: App) -> None:
    # Given a group of alice and bob, both on its page
    alice = api_user(stack, "alice")
    group = alice.create_group(name=f"Kick test {uuid.uuid4().hex[:6]}", memberlist="bob")
    open_group(alice_app, group["chatgroup_id"])
    open_group(bob_app, group["chatgroup_id"])
    bob_app.wait_for(".member[data-user='alice']")

    # When alice kicks bob out from the members list
    alice_app.button("Kick bob").click()
    alice_app.wait_for_text(".timeline .notice", "bob was kicked out by alice")

    # Then bob's browser leaves the group's page and says why
    bob_app.wait_for_text("#flash", "You were kicked out of")
    bob_app.wait_until(
        lambda: bob_app.driver.execute_script("return location.hash") == "#/", "bob back on his home page"
    )

    # And what alice says next never reaches him, even on the group's page
    send(alice_app, "bob cannot read this")
    bob_app.go(f"#/group/{group['chatgroup_id']}")
    bob_app.wait_for_text(".group-page", "You are not a member of")
    assert "bob cannot read this" not in bob_app.driver.find_element(By.TAG_NAME, "body").text


def test_a_non_member_sees_the_group_and_apply_but_no_member_controls(stack: StackInfo, bob_app: App) -> None:
    # Given a group of alice's that bob is not in
    group = api_user(stack, "alice").create_group(name=f"Not bob's {uuid.uuid4().hex[:6]}", memberlist="carol")

    # When bob opens its page (a bookmark, the Back button)
    bob_app.go(f"#/group/{group['chatgroup_id']}")

    # Then he is told he is not a member and may apply; no chat, members, invite or leave is shown
    bob_app.wait_for_text(".group-page", "You are not a member of")
    for member_only in (".composer", ".timeline", ".members", "form[aria-labelledby='invite-title']"):
        assert bob_app.driver.find_elements(By.CSS_SELECTOR, member_only) == [], member_only
    assert "Leave the group" not in bob_app.text_of("#view")
    bob_app.button("Apply").click()
    bob_app.wait_for_text(".group-page", "Applied: the creator decides.")


def test_markup_in_a_message_is_shown_as_text(stack: StackInfo, alice_app: App, bob_app: App) -> None:
    # Given a group of alice and bob, bob on its page
    alice = api_user(stack, "alice")
    group = alice.create_group(name=f"Markup {uuid.uuid4().hex[:6]}", memberlist="bob")
    open_group(bob_app, group["chatgroup_id"])
    bob_app.driver.execute_script("window.alert = (what) => { window.alerted = String(what); };")

    # When alice sends markup
    open_group(alice_app, group["chatgroup_id"])
    send(alice_app, MARKUP)

    # Then bob sees the characters, no image element was made of them, and no script ran
    bob_app.wait_until(lambda: MARKUP in messages(bob_app), "the markup as text")
    assert bob_app.driver.find_elements(By.CSS_SELECTOR, ".timeline img") == []
    assert bob_app.driver.execute_script("return window.alerted") is None
    assert not [error for error in bob_app.console_errors() if f"{stack.web_url}/x " in error]


def page_width(app: App) -> list[int]:
    return list(app.driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth]"))


def test_a_group_page_fits_a_phone_screen(stack: StackInfo, browsers) -> None:
    # Given bob on a phone-sized screen, signed in, in a group whose name is 100 characters without a space
    bob = App(user="bob", driver=browsers(PHONE), web_url=str(stack.web_url))
    bob.sign_in(stack.users["bob"])
    name = f"Phone{uuid.uuid4().hex}".ljust(100, "W")
    group = api_user(stack, "alice").create_group(name=name, memberlist="bob", eventid=f"event{'E' * 59}")

    # When he opens the group's page
    open_group(bob, group["chatgroup_id"])

    # Then the name wraps, nothing is wider than the screen, and the message box is reachable by keyboard
    assert bob.text_of(".group-header h2") == name
    assert page_width(bob) == [PHONE[0], PHONE[0]]
    box = bob.wait_for(".composer textarea")
    assert box.size["width"] < PHONE[0]
    send(bob, "typed on a phone")
    bob.wait_until(lambda: "typed on a phone" in messages(bob), "his own message")

    # And My groups, which lists the group, fits the screen too
    bob.go("#/")
    bob.wait_for(f".group-row[data-group='{group['chatgroup_id']}']")
    assert page_width(bob) == [PHONE[0], PHONE[0]]
