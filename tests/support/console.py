"""Signing in to the console in the browser tests."""

PASSWORD = "console-pass-1"


def log_in(page, base_url: str, email: str, landing: str | None = None, password: str = PASSWORD) -> None:
    """Sign in through the login form; wait for `landing` (a path) when given."""
    page.goto(f"{base_url}/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")
    if landing:
        page.wait_for_url(f"{base_url}{landing}")


PHONE = {"width": 390, "height": 844}


def sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0: it does not scroll sideways)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def assert_fits(page, what: str = "") -> None:
    overflow = sideways_overflow(page)
    assert overflow <= 0, f"{what or page.url} scrolls sideways by {overflow}px at {page.viewport_size['width']}px"
