"""Real Chromium against `make run`'s web app: Debian's chromium, driven by Debian's chromedriver.

Selenium is given both by path, so Selenium Manager never runs and nothing is downloaded.
A missing browser fails these tests (it is never a skip): `make test` installs Debian's
`chromium` and `chromium-driver` when it runs as root, and says what to install otherwise.

Each user is one browser, signed in once through the app's own sign-in form; the stack is
started as the end-to-end tests start theirs (`python -m devstack.run` on free ports).
"""
# ruff: noqa: F811 - the end-to-end fixture imported below is, as pytest wants, a parameter of the ones here

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver import Chrome
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import WebDriverWait

from devstack.stackfile import StackInfo
from tests.e2e.conftest import StackProcess, User, sign_in, start_stack  # noqa: F401 - a fixture here too

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
WAIT_SECONDS = 10
STOP_SECONDS = 60
CHROMIUM_ARGUMENTS = (
    "--headless=new",
    "--no-sandbox",  # root in CI has no user namespace sandbox to drop into
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # This machine's network is closed: without these Chromium keeps trying to reach Google's services.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
)
DESKTOP = (1280, 900)
PHONE = (390, 844)
MOBILE_BELOW = 600


def chromium(size: tuple[int, int] = DESKTOP) -> Chrome:
    """A headless Chromium of Debian's packages, with its own empty profile."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.exists()]
    if missing:
        pytest.fail(
            f"{' and '.join(missing)} missing: install Debian's chromium and chromium-driver "
            "(`make test` does, as root: apt-get install chromium chromium-driver)"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (*CHROMIUM_ARGUMENTS, f"--user-data-dir={tempfile.mkdtemp(prefix='chatgroup-chromium-')}"):
        options.add_argument(argument)
    options.add_argument(f"--window-size={size[0]},{size[1]}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
    # A headless window is at least 500 px wide: the viewport is set exactly, as a phone's would be.
    metrics = {"width": size[0], "height": size[1], "deviceScaleFactor": 1, "mobile": size[0] < MOBILE_BELOW}
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)
    return driver


@dataclass
class App:
    """One user's browser on the web app: what a person would do and see, by role, label and text."""

    user: str
    driver: Chrome
    web_url: str

    def go(self, route: str) -> None:
        """Follow an in-app link (`#/inbox`): the page is not reloaded, so the session stays signed in. A link to
        the page already shown shows it again (fresh data), as the app's own links do."""
        self.driver.execute_script(
            """if (location.hash === arguments[0]) window.dispatchEvent(new HashChangeEvent("hashchange"));
               else location.hash = arguments[0];""",
            route,
        )

    def sign_in(self, password: str) -> None:
        self.driver.get(self.web_url)
        self.fill_in_sign_in(password)

    def fill_in_sign_in(self, password: str) -> None:
        """Sign in on the sign-in form the page shows."""
        self.wait_for("form[aria-label='Sign in']")
        self.field("username").send_keys(self.user)
        self.field("password").send_keys(password)
        self.button("Sign in").click()
        self.wait_until(lambda: self.user in self.text_of("#account"), "the signed-in user's name in the header")

    def field(self, name: str, within: WebElement | None = None) -> WebElement:
        return (within or self.driver).find_element(By.NAME, name)

    def button(self, label: str, within: WebElement | None = None) -> WebElement:
        """The visible button whose text or aria-label is `label`."""

        def find() -> WebElement | None:
            for button in (within or self.driver).find_elements(By.TAG_NAME, "button"):
                if button.is_displayed() and label in (button.text, button.get_attribute("aria-label")):
                    return button
            return None

        found = self.wait_until(find, f"a button {label!r}")
        assert found is not None
        return found

    def wait_for(self, css: str) -> WebElement:
        found = self.wait_until(lambda: next(iter(self.driver.find_elements(By.CSS_SELECTOR, css)), None), css)
        assert found is not None
        return found

    def text_of(self, css: str) -> str:
        return " ".join(element.text for element in self.driver.find_elements(By.CSS_SELECTOR, css))

    def wait_for_text(self, css: str, text: str) -> None:
        self.wait_until(lambda: text in self.text_of(css), f"{text!r} in {css}")

    def wait_until[T](self, condition: Callable[[], T], what: str) -> T:
        """Poll `condition` until it holds; an element the page re-rendered while it was read is read again."""
        wait = WebDriverWait(
            self.driver, WAIT_SECONDS, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)
        )
        try:
            return wait.until(lambda _: condition())
        except TimeoutException:
            page = self.driver.find_element(By.TAG_NAME, "body").text
            logs = "\n".join(entry["message"] for entry in self.driver.get_log("browser"))
            pytest.fail(f"{self.user}'s browser never showed {what}; the page says:\n{page}\nconsole:\n{logs}")

    @property
    def hash(self) -> str:
        return str(self.driver.execute_script("return location.hash"))

    def console_errors(self) -> list[str]:
        return [entry["message"] for entry in self.driver.get_log("browser") if entry["level"] == "SEVERE"]


@pytest.fixture(scope="package")
def stack(start_stack: Callable[..., StackProcess]) -> Iterator[StackInfo]:
    process = start_stack()
    yield process.wait_until_ready()
    # Stopping is e2e's test, with its deadline; here a stack that served two browsers only has to go.
    process.process.terminate()
    process.process.wait(STOP_SECONDS)


@pytest.fixture(scope="package")
def browsers() -> Iterator[Callable[..., Chrome]]:
    """Start Chromiums; every one is closed at the end."""
    started: list[Chrome] = []

    def start(size: tuple[int, int] = DESKTOP) -> Chrome:
        started.append(chromium(size))
        return started[-1]

    yield start
    for driver in started:
        driver.quit()


def _signed_in(stack: StackInfo, browsers: Callable[..., Chrome], user: str) -> App:
    app = App(user=user, driver=browsers(), web_url=str(stack.web_url))
    app.sign_in(stack.users[user])
    return app


@pytest.fixture(scope="package")
def alice_app(stack: StackInfo, browsers: Callable[..., Chrome]) -> App:
    return _signed_in(stack, browsers, "alice")


@pytest.fixture(scope="package")
def bob_app(stack: StackInfo, browsers: Callable[..., Chrome]) -> App:
    return _signed_in(stack, browsers, "bob")


def api_user(stack: StackInfo, name: str) -> User:
    """The same user calling the API directly, to set the scene quickly or to act from another device."""
    return User(name=name, api_url=stack.api_url, token=sign_in(stack, name, stack.users[name])["IdToken"])
