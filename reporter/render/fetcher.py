"""The only way WeasyPrint may load a resource while rendering a pack.

It serves files under the shipped templates folder and the `data:` URLs the renderer itself
generated (the chart), and refuses everything else: http(s), ftp, file:// outside the folder,
any other data: URL. A refusal raises (and, because the fetcher is built with
`fail_on_errors=True`, stops the rendering): the document never references anything else, so a
reference to anything else is a bug or an injection, not a missing picture.
"""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import URLFetcher, URLFetcherResponse


class RefusedURL(ValueError):
    """The renderer asked for a resource outside what the pack may load."""


class TemplatesOnlyFetcher(URLFetcher):
    def __init__(self, root: Path, generated: dict[str, tuple[bytes, str]] | None = None) -> None:
        super().__init__(fail_on_errors=True)
        self.root = Path(root).resolve()
        # Exact data: URL → (bytes, mime type), registered by the renderer.
        self.generated = dict(generated or {})
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url: str, headers: dict | None = None) -> URLFetcherResponse:
        if url in self.generated:
            body, mime = self.generated[url]
            self.served.append(url[:60])
            return URLFetcherResponse(url, body, {"Content-Type": mime})
        parts = urlsplit(url)
        if parts.scheme == "file" and parts.netloc in ("", "localhost"):
            path = Path(unquote(parts.path)).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                self.served.append(url)
                return URLFetcherResponse(path.as_uri(), path.read_bytes(), {"Content-Type": mime})
        self.refused.append(url[:200])
        raise RefusedURL(f"refused to fetch {url[:200]!r}: a pack loads only its own templates")

    # WeasyPrint may call the fetcher as a function or via .open(); both end in fetch().
    def open(self, url, data=None, timeout=None):
        return self.fetch(url if isinstance(url, str) else url.full_url)

    def __call__(self, url: str) -> URLFetcherResponse:
        return self.fetch(url)
