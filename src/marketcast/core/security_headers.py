"""Headers every answer carries so a browser protects the console: it may not be framed by another site
(clickjacking), content types are not sniffed, and links do not leak the path to other sites. A cookie set
over HTTPS is marked Secure even when MARKETCAST_SESSION_HTTPS_ONLY is off, so it never travels in clear."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers.setdefault(name, value)
                if https:
                    cookies = headers.getlist("set-cookie")
                    del headers["set-cookie"]
                    for cookie in cookies:
                        headers.append("set-cookie", cookie if "secure" in cookie.lower() else cookie + "; secure")
            await send(message)

        await self.app(scope, receive, send_with_headers)
