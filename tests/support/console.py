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
