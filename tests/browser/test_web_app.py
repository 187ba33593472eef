"""What the web port serves besides the app's pages, and the app's sign-in, session and socket in the browser."""

import http.client
import json
import time
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests
from selenium.webdriver import Chrome
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from devstack.aws import dynamodb
from devstack.stackfile import StackInfo
from devstack.template import ROOT
from tests.browser.conftest import App, api_user
from tests.browser.test_chat_app import messages, open_group, send


def run_module(app: App, path: str, code: str) -> dict[str, Any]:
    """Import one of the app's modules in its page and run `code` (an async function body) with it.

    The code is evaluated by WebDriver, as a person's console would; the page's own policy forbids eval.
    """
    app.driver.set_script_timeout(15)
    script = f"""
        const done = arguments[arguments.length - 1];
        (async () => {{
            const config = await (await fetch("config.json")).json();
            const module = await import({json.dumps(path)});
            {code}
        }})().then((value) => done({{value}}), (error) => done({{error: String(error), status: error.status}}));
    """
    return dict(app.driver.execute_async_script(script))


def test_config_json_points_the_app_at_this_stack(stack: StackInfo) -> None:
    # When the app's configuration is read from the web port
    response = requests.get(f"{stack.web_url}/config.json", timeout=10)

    # Then it names this stack's API, WebSocket and Cognito, and is never cached
    assert response.json() == {
        "api_url": stack.api_url,
        "websocket_url": stack.websocket_url,
        "cognito": {
            "region": stack.region,
            "user_pool_id": stack.user_pool_id,
            "client_id": stack.user_pool_client_id,
            "endpoint": stack.aws_endpoint_url,
        },
    }
    assert response.headers["Cache-Control"] == "no-store"


def test_nothing_outside_the_served_folders_is_served(stack: StackInfo) -> None:
    address = urlsplit(str(stack.web_url))
    for path in ("/../README.md", "/docs/../../template.yaml", "/%2e%2e/Makefile", "/js/../../devstack/web.py"):
        # When a path climbs out of web/ or the Swagger UI folder
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
        connection.request("GET", path)

        # Then it is not found
        assert connection.getresponse().status == 404, path
        connection.close()


def test_a_path_no_file_can_have_is_not_found(stack: StackInfo) -> None:
    address = urlsplit(str(stack.web_url))
    for path in ("/%00", "/a%00b", "/docs/%00", "/" + "a" * 5000):
        # When a path holds a NUL byte, or is longer than any file name
        connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=10)
        connection.request("GET", path)

        # Then it is answered, as not found
        assert connection.getresponse().status == 404, path[:20]
        connection.close()


def test_no_other_site_may_show_the_app_in_a_frame(stack: StackInfo) -> None:
    # When the app's page is read from the web port
    response = requests.get(f"{stack.web_url}/", timeout=10)

    # Then it forbids framing, in the old header and in the content security policy
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Content-Security-Policy"] == "frame-ancestors 'none'"


def test_swagger_ui_shows_every_operation_and_takes_a_token(stack: StackInfo, browsers: Callable[..., Chrome]) -> None:
    # Given the committed OpenAPI document
    document = json.loads((ROOT / "docs" / "openapi.json").read_text())
    operations = sum(len(methods) for methods in document["paths"].values())

    # When Swagger UI is opened on the web port
    app = App(user="docs reader", driver=browsers(), web_url=str(stack.web_url))
    app.driver.get(f"{stack.web_url}/docs/")

    # Then it lists every operation, sends them to this stack's API, and offers Authorize for a token
    count = "return document.querySelectorAll('.opblock').length"
    app.wait_until(lambda: app.driver.execute_script(count) == operations, "every operation")
    assert stack.api_url in app.text_of(".servers")
    app.button("Authorize").click()
    app.wait_for_text(".dialog-ux", "Authorization")


def test_a_refusal_shows_the_api_reason(stack: StackInfo, alice_app: App) -> None:
    # Given a group of alice and bob, open in alice's browser
    alice = api_user(stack, "alice")
    group = alice.create_group(name=f"Refusal {uuid.uuid4().hex[:6]}", memberlist="bob")
    open_group(alice_app, group["chatgroup_id"])

    # When she invites bob, who is already a member
    invite = alice_app.wait_for("form[aria-labelledby='invite-title']")
    alice_app.field("who_to_invite", invite).send_keys("bob")
    alice_app.button("Invite", invite).click()

    # Then the page shows the reason the API gives for that refusal
    refused = alice.call(
        "POST",
        "/api/v1/inbox/create",
        {"type": "invitation", "chatgroup_id": group["chatgroup_id"], "who_to_invite": "bob"},
    )
    assert refused.status_code == 409
    alice_app.wait_for_text("form[aria-labelledby='invite-title'] [role=alert]", refused.json()["reason"])


def test_a_route_the_stack_lacks_is_refused_as_at_api_gateway(alice_app: App) -> None:
    # When the app calls a route the API does not have (as issue 12's are until they are deployed)
    result = run_module(
        alice_app,
        "./js/api.js",
        """
        const api = new module.Api(config.api_url, {idToken: "unused"}, () => {});
        return await api.get("/api/v1/no/such/route");
    """,
    )

    # Then the browser's CORS preflight fails, as API Gateway's 403 for an unknown path makes it fail, and the
    # refusal says the operation may not be offered
    assert result["status"] == 0
    assert "may not offer this operation yet" in result["error"]


def test_a_401_returns_to_sign_in_and_then_to_the_same_page(stack: StackInfo, alice_app: App) -> None:
    # Given alice on a group's page
    group = api_user(stack, "alice").create_group(name=f"Session {uuid.uuid4().hex[:6]}")
    open_group(alice_app, group["chatgroup_id"])

    # When the API refuses the token of her next request (the page's fetch sends one it never issued, once)
    alice_app.driver.execute_script(
        """
        const [apiUrl, realFetch] = [arguments[0], window.fetch];
        window.fetch = (url, options = {}) => {
            if (!String(url).startsWith(apiUrl)) return realFetch(url, options);
            window.fetch = realFetch;
            return realFetch(url, {...options, headers: {...options.headers, Authorization: "not.a.token"}});
        };
        """,
        stack.api_url,
    )
    box = alice_app.wait_for(".composer textarea")
    box.send_keys("refused", Keys.ENTER)

    # Then she is asked to sign in again, told why
    alice_app.wait_for("form[aria-label='Sign in']")
    alice_app.wait_for_text("#flash", "Your session has ended")

    # And once signed in she is back on the group's page
    alice_app.fill_in_sign_in(stack.users["alice"])
    alice_app.wait_for(".composer textarea")
    assert alice_app.hash == f"#/group/{group['chatgroup_id']}"


def test_the_refresh_token_gets_a_new_id_token_the_api_accepts(alice_app: App, stack: StackInfo) -> None:
    # Given a session signed in through Cognito from the browser, refreshed a second later with its refresh token
    result = run_module(
        alice_app,
        "./js/auth.js",
        f"""
        const session = new module.Session(config.cognito, () => {{}});
        await session.signIn("bob", {json.dumps(stack.users["bob"])});
        const first = session.idToken;
        await new Promise((resolve) => setTimeout(resolve, 1100));
        await session.refresh();
        const api = await import("./js/api.js");
        const mine = await new api.Api(config.api_url, session, () => {{}}).get("/api/v1/chatgroup/mine");
        const listed = Array.isArray(mine.chatgroups);
        const answer = {{changed: first !== session.idToken, user: session.username, listed}};
        session.signOut();
        return {{...answer, signedOut: session.idToken === null}};
    """,
    )

    # Then the new ID token is another, still bob's, the API accepts it, and signing out forgets it
    assert result.get("value") == {"changed": True, "user": "bob", "listed": True, "signedOut": True}, result


def _connections_of(stack: StackInfo, user: str) -> list[str]:
    item = dynamodb(stack.aws_endpoint_url).get_item(TableName="ConnectionsTable", Key={"user_id": {"S": user}})
    return list(item.get("Item", {}).get("connections", {}).get("M", {}))


OFFLINE = {"offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1}


def take_offline(stack: StackInfo, app: App) -> None:
    """The network gone from the user's browser, and their connections closed by the server: no frame reaches it."""
    app.driver.execute_cdp_cmd("Network.enable", {})
    app.driver.execute_cdp_cmd("Network.emulateNetworkConditions", OFFLINE)
    for connection_id in _connections_of(stack, app.user):
        requests.delete(f"{stack.api_url}/@connections/{connection_id}", timeout=10)
    app.wait_until(lambda: app.text_of("#live-status") in ("offline", "connecting…"), "the socket closed")


def bring_online(app: App) -> None:
    app.driver.execute_cdp_cmd("Network.emulateNetworkConditions", OFFLINE | {"offline": False})


def test_after_the_socket_drops_the_page_catches_up(stack: StackInfo, bob_app: App) -> None:
    # Given bob on a group's page, and the network then gone from his browser
    alice = api_user(stack, "alice")
    group = alice.create_group(name=f"Reconnect {uuid.uuid4().hex[:6]}", memberlist="bob")
    open_group(bob_app, group["chatgroup_id"])
    take_offline(stack, bob_app)

    # When alice writes while he is away, and his network comes back
    sent = alice.call("POST", f"/api/v1/chatgroup/{group['chatgroup_id']}/messages", {"text": "while you were away"})
    assert sent.status_code == 200, sent.text
    assert "while you were away" not in messages(bob_app)
    bring_online(bob_app)

    # Then the page reconnects and catches up with what he missed
    bob_app.wait_until(lambda: "while you were away" in messages(bob_app), "the missed message")
    bob_app.wait_for_text("#live-status", "live")
    send(bob_app, "back again")


def test_a_member_kicked_while_offline_is_taken_off_the_page_when_back(stack: StackInfo, bob_app: App) -> None:
    # Given bob on a group's page, his browser offline
    alice = api_user(stack, "alice")
    name = f"Away {uuid.uuid4().hex[:6]}"
    group = alice.create_group(name=name, memberlist="bob")
    open_group(bob_app, group["chatgroup_id"])
    take_offline(stack, bob_app)

    # When alice kicks him out while he is away (his socket gets no `revoked`), and his network comes back
    kick = {"type": "kickout", "chatgroup_id": group["chatgroup_id"], "creator_id": "alice", "who_to_kick_out": "bob"}
    assert alice.call("DELETE", "/api/v1/chatgroup/delete", kick).status_code == 200
    bring_online(bob_app)

    # Then the catch-up's 403 takes him off the group's page, saying why
    bob_app.wait_for_text("#flash", f"You are no longer a member of “{name}”.")
    assert bob_app.hash == "#/"
    assert bob_app.driver.find_elements(By.CSS_SELECTOR, ".composer") == []


def test_a_group_page_opened_before_the_socket_is_up_catches_up_only_after_its_history(
    stack: StackInfo, alice_app: App
) -> None:
    # Given a group with a few messages, and alice's browser reloaded on its page (a reload forgets the tokens)
    alice = api_user(stack, "alice")
    group = alice.create_group(name=f"First load {uuid.uuid4().hex[:6]}")
    for text in ("one", "two", "three"):
        alice.call("POST", f"/api/v1/chatgroup/{group['chatgroup_id']}/messages", {"text": text})
    alice_app.go(f"#/group/{group['chatgroup_id']}")
    alice_app.driver.refresh()

    # When she signs in: the page loads its history while the socket opens
    alice_app.fill_in_sign_in(stack.users["alice"])
    alice_app.wait_until(lambda: messages(alice_app) == ["one", "two", "three"], "the history")
    alice_app.wait_for_text("#live-status", "live")

    # Then no catch-up read the timeline from its start
    reads = alice_app.driver.execute_script(
        "return performance.getEntriesByType('resource').map((entry) => entry.name)"
        ".filter((url) => url.includes('/messages'))"
    )
    assert [url for url in reads if "after_seq=0" in url] == [], reads


def test_at_the_connection_limit_the_header_says_why(stack: StackInfo, browsers: Callable[..., Chrome]) -> None:
    # Given carol already has as many open connections as a user may have (at most 100, the parameter's maximum)
    connections = dynamodb(stack.aws_endpoint_url)
    now_ms = int(time.time() * 1000)
    connections.put_item(
        TableName="ConnectionsTable",
        Item={
            "user_id": {"S": "carol"},
            "connections": {"M": {f"elsewhere{number}": {"N": str(now_ms)} for number in range(100)}},
            "expires_at": {"N": str(now_ms // 1000 + 7200)},
        },
    )
    try:
        # When she signs in in one more tab
        carol = App(user="carol", driver=browsers(), web_url=str(stack.web_url))
        carol.sign_in(stack.users["carol"])

        # Then the header says why it is offline, and when it tries again
        carol.wait_for_text("#live-status", "too many open")
        assert "next try in 30 s" in carol.text_of("#live-status")
    finally:
        connections.delete_item(TableName="ConnectionsTable", Key={"user_id": {"S": "carol"}})


def test_tokens_stay_in_memory_so_a_reload_asks_to_sign_in_again(
    stack: StackInfo, browsers: Callable[..., Chrome]
) -> None:
    # Given carol signed in
    carol = App(user="carol", driver=browsers(), web_url=str(stack.web_url))
    carol.sign_in(stack.users["carol"])

    # Then no token is in the page's storage or cookies
    stored = carol.driver.execute_script(
        "return [JSON.stringify(localStorage), JSON.stringify(sessionStorage), document.cookie].join(' ')"
    )
    assert "eyJ" not in stored
    assert carol.driver.get_cookies() == []

    # And after a reload she is asked to sign in again
    carol.driver.refresh()
    carol.wait_for("form[aria-label='Sign in']")


def test_signing_out_closes_the_socket_and_returns_to_sign_in(
    stack: StackInfo, browsers: Callable[..., Chrome]
) -> None:
    # Given dave signed in, with his live connection open
    dave = App(user="dave", driver=browsers(), web_url=str(stack.web_url))
    dave.sign_in(stack.users["dave"])
    dave.wait_for_text("#live-status", "live")
    dave.wait_until(lambda: _connections_of(stack, "dave"), "dave's connection stored")

    # When he signs out
    dave.button("Sign out").click()

    # Then he sees the sign-in form, and his connection is closed and forgotten
    dave.wait_for("form[aria-label='Sign in']")
    assert dave.text_of("#account") == ""
    dave.wait_until(lambda: _connections_of(stack, "dave") == [], "dave's connection removed")
