"""The site's addresses, for links that leave the page (mail, the API's private URL): the web
layer alone knows its URL paths, and hands the library a `SiteLinks` where it needs some."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request

from healthqa.web.auth import site_of


@dataclass(frozen=True)
class SiteLinks:
    """Absolute links on the site at `site` (its public address, without a final slash)."""

    site: str

    def question(self, external_id: str) -> str:
        return f"{self.site}/q/{external_id}"

    def private(self, token: str) -> str:
        return f"{self.site}/private/{token}"

    def sign_up(self, token: str) -> str:
        return f"{self.site}/signup/{token}"

    def reset(self, token: str) -> str:
        return f"{self.site}/reset/{token}"


def base_of(request: Request) -> str:
    """The site's address as this request reached it."""
    return str(request.base_url).rstrip("/")


def links_of(request: Request) -> SiteLinks:
    """Links for mail and programs: on the configured public address (`site_url`), else on the
    address of the request."""
    return SiteLinks(site_of(request).settings.site_url or base_of(request))
