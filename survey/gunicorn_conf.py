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
The same goes for a short code in /m/<code> (the SMS link).

Invitation links and QR codes are built on HAILONG_PUBLIC_URL. When it is not set, `when_ready` sets it,
before the workers start, from the address gunicorn actually bound (`make run PORT=5101` passes it
anyway); when it is set but names this machine on another port, or 0.0.0.0, the log says so at start:
every slip printed then would lead elsewhere. (With --preload the app is loaded before the address is
known: set HAILONG_PUBLIC_URL yourself.)
"""
from __future__ import annotations

import os
import re
import socket
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

from gunicorn.glogging import Logger

from survey.config import DEFAULT_PUBLIC_URL

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
    re.compile(r"(?<![^/])(m/)[^/?#]+"),                        # /m/<code>: an invitation's short code
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


# -- where invitation links point ------------------------------------------------------------------------------

WILDCARDS = frozenset({"0.0.0.0", "::", ""})
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def _lan_address() -> str:
    """This machine's address on its main network (a UDP socket 'connected' nowhere sends nothing)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("10.255.255.255", 1))
            return probe.getsockname()[0]
    except OSError:
        return "127.0.0.1"


def served_addresses(listeners) -> list[tuple[str, int]]:
    """(host, port) of each TCP socket gunicorn listens on (unix sockets have no URL)."""
    found = []
    for listener in listeners:
        name = listener.sock.getsockname()
        if isinstance(name, tuple):
            found.append((name[0], int(name[1])))
    return found


def derived_public_url(served: list[tuple[str, int]]) -> str | None:
    """The public URL of the first address served (a wildcard bind: this machine's network address)."""
    if not served:
        return None
    host, port = served[0]
    host = _lan_address() if host in WILDCARDS else host
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def public_url_problem(public_url: str, served: list[tuple[str, int]]) -> str | None:
    """Why links on `public_url` would not reach this server, or None when they can (or it cannot tell).

    A name that is not this machine's is a proxy's or a DNS name: the server cannot check it, and it is fine.
    """
    parts = urlsplit(public_url)
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"HAILONG_PUBLIC_URL={public_url} has no valid port: invitation links and QR codes will not work"
    if parts.scheme not in ("http", "https") or not host:
        return f"HAILONG_PUBLIC_URL={public_url} is not an http(s) address: invitation links and QR codes will not work"
    if host in WILDCARDS:
        return (f"HAILONG_PUBLIC_URL={public_url} is not an address a phone can open: invitation links and QR codes "
                f"need this machine's name or address")
    local = LOOPBACK | {h for h, _p in served} | {socket.gethostname().lower(), _lan_address()}
    if host not in local or not served:
        return None
    listening = ", ".join(f"{h or '*'}:{p}" for h, p in served)
    ports = {p for h, p in served if h in WILDCARDS or h == host or (host in LOOPBACK and h in LOOPBACK)}
    if port not in ports:
        return (f"HAILONG_PUBLIC_URL={public_url} points at this machine's port {port}, but this server listens on "
                f"{listening}: invitation links, QR codes and SMS printed now would not reach it")
    if host in LOOPBACK and any(h in WILDCARDS for h, _p in served):
        return (f"HAILONG_PUBLIC_URL={public_url} names this machine's loopback address, which only this machine "
                f"opens, while the server listens on {listening} for phones and tablets: set it to the address "
                f"they reach, e.g. {derived_public_url(served)}")
    return None


def when_ready(server) -> None:
    """Before the workers start: derive HAILONG_PUBLIC_URL from the bound address if unset, else check it."""
    served = served_addresses(server.LISTENERS)
    configured = os.environ.get("HAILONG_PUBLIC_URL", "").strip()
    if not configured:
        derived = derived_public_url(served)
        if derived and server.cfg.preload_app:  # the workers' app was made before the address was known
            server.log.warning("HAILONG_PUBLIC_URL is not set and --preload made the app before the address was "
                               "known: invitation links and QR codes use %s; set it (here %s)",
                               DEFAULT_PUBLIC_URL, derived)
        elif derived:
            os.environ["HAILONG_PUBLIC_URL"] = derived
            server.log.warning("HAILONG_PUBLIC_URL is not set: invitation links and QR codes use %s, the address "
                               "served; set it to the address citizens' phones reach", derived)
        return
    problem = public_url_problem(configured, served)
    if problem:
        server.log.warning(problem)
    else:
        server.log.info("Invitation links and QR codes use %s", configured)
