"""gunicorn settings for serving Hài Lòng (`make run`, bench/load_submit.py): `-c python:survey.gunicorn_conf`.

Threads, because a kiosk's submission waits for the group commit that holds it (see
survey/services/respond/batch.py) and the waiting threads' submissions are what fills the next batch;
two processes per core, because each process's Python code runs on one core at a time.
Measured on the 2-core machine (bench/load_submit.py, 100 kiosks): 4 × 16 took about 1.5× the
submissions of 2 × 8. Environment: WEB_CONCURRENCY (processes), GUNICORN_THREADS.

The access log names the route, not the secret: an invitation token in /s/<token> or
/api/v1/invitations/<token>/..., a kiosk enrolment code in ?code=, the same inside a ?next= path
or a Referer, and the credential headers, are replaced before the line is written (RouteLogger).
A log file is read by more people, and kept longer, than the database that stores only hashes.
"""
from __future__ import annotations

import os
import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from gunicorn.glogging import Logger

workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "16"))
keepalive = 5  # seconds: a kiosk posting again soon reuses its connection; idle ones are let go

# The routes whose path carries a bearer secret (tests/foundation/test_access_log.py checks that every
# route with a <token> argument is covered). Matched on whole segments, anywhere in the path, so a
# prefix (SCRIPT_NAME behind a proxy) or a path inside ?next= is covered too.
TOKEN_PATHS = (
    re.compile(r"(?<![^/])(s/)[^/?#]+"),                        # /s/<token>, /s/<token>/<step>, /s/<token>/done
    re.compile(r"(?<![^/])(invitations/)(?!reissue(?:$|[?#]))[^/?#]+"),  # /api/v1/invitations/<token>/...
)
SECRET_PARAMS = frozenset({"code", "token", "key", "credential"})  # ?code= is a kiosk's one-time enrolment code
SECRET_HEADERS = frozenset({"authorization", "cookie", "x-api-key", "x-device-credential", "set-cookie"})
URL_ATOMS = ("r", "U", "q", "f", "{referer}i", "{raw_uri}e", "{path_info}e", "{query_string}e",
             "{http_referer}e", "{request_uri}e")


def scrub_path(path: str) -> str:
    """`path` with each token segment replaced by `<token>` (percent-encoded or doubled slashes included)."""
    plain = re.sub("/{2,}", "/", unquote(path))
    scrubbed = plain
    for pattern in TOKEN_PATHS:
        scrubbed = pattern.sub(r"\1<token>", scrubbed)
    return path if scrubbed == plain else scrubbed


def scrub_query(query: str) -> str:
    """A query string with secret parameters' values replaced, and paths in values scrubbed."""
    if not query:
        return query
    pairs = parse_qsl(query, keep_blank_values=True)
    clean = [(k, f"<{k.lower()}>" if k.lower() in SECRET_PARAMS else scrub_path(v) if "/" in v else v)
             for k, v in pairs]
    return query if clean == pairs else urlencode(clean, safe="/<>")


def scrub_url(url: str) -> str:
    """A path-and-query, or an absolute URL (a Referer), without the secrets it may carry."""
    if not url or url == "-":
        return url
    if url.startswith("/"):  # a request's own URI: no scheme or host, and "//s/…" is a path, not a netloc
        path, sep, query = url.partition("?")
        return scrub_path(path) + sep + scrub_query(query)
    parts = urlsplit(url)
    clean = parts._replace(path=scrub_path(parts.path), query=scrub_query(parts.query))
    return url if clean == parts else urlunsplit(clean)


def scrub_request_line(line: str) -> str:
    """'GET /s/abc/2 HTTP/1.1' → 'GET /s/<token>/2 HTTP/1.1'."""
    method, sep, rest = line.partition(" ")
    uri, sep2, protocol = rest.rpartition(" ")
    if not sep2:  # no protocol part: treat all of it as the URI
        uri, protocol = rest, ""
    return method + sep + scrub_url(uri) + sep2 + protocol


class RouteLogger(Logger):
    """gunicorn's logger with secrets taken out of every URL atom and the credential headers dropped."""

    def atoms(self, resp, req, environ, request_time):
        """The access-log atoms, scrubbed (whatever --access-logformat asks for)."""
        atoms = super().atoms(resp, req, environ, request_time)
        for name in URL_ATOMS:
            value = atoms.get(name)
            if isinstance(value, str):
                atoms[name] = scrub_request_line(value) if name == "r" else \
                    scrub_query(value) if name in ("q", "{query_string}e") else scrub_url(value)
        for name in list(atoms):
            header = name[1:-2].lower() if name.startswith("{") else ""
            if header.replace("_", "-").removeprefix("http-") in SECRET_HEADERS:
                atoms[name] = "-"
        return atoms


logger_class = RouteLogger
