"""A client for vigil, the self-hosted heartbeat monitor. Standard library only, Python 3.8+.

    from vigil_client import Vigil

    vigil = Vigil("https://vigil.example.com", ping_key="...")

    @vigil.monitor("nightly-backup")
    def backup():
        ...

Reaching vigil never raises into your program: failures are retried, then logged on the
"vigil" logger and swallowed.
"""

import functools
import inspect
import json
import logging
import re
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
from typing import Any, Callable, Dict, Iterable, List, Optional, Union

__all__ = ["Vigil", "Monitor", "Heartbeat", "VigilError"]
__version__ = "0.1.0"

logger = logging.getLogger("vigil")

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
_BACKOFF = 0.25
_MAX_MESSAGE = 4000


class VigilError(Exception):
    """A call to vigil failed; `status` is None when no answer came."""

    def __init__(self, message, status=None):
        # type: (str, Optional[int]) -> None
        super().__init__(message)
        self.status = status


class Vigil(object):
    """A vigil client. `check` arguments are a UUID or a slug."""

    def __init__(self, url, api_key=None, ping_key=None, timeout=10, retries=2):
        # type: (str, Optional[str], Optional[str], float, int) -> None
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.ping_key = ping_key
        self.timeout = timeout
        self.retries = max(0, retries)
        self._ids = {}  # type: Dict[str, str]
        self._ids_lock = threading.Lock()


    def register(self, checks):
        # type: (Union[Dict[str, Any], Iterable[Dict[str, Any]]]) -> List[Dict[str, Any]]
        """Create or update checks by slug (needs api_key); safe on every start.

        Each check is the body of PUT /api/v1/checks/by-slug/<slug> plus its "slug":
        vigil.register([{"slug": "backup", "schedule": {"kind": "cron", "expression": "0 2 * * *"}}])
        Returns the stored checks; one that failed is logged and left out.
        """
        specs = [checks] if isinstance(checks, dict) else list(checks)
        stored = []
        for spec in specs:
            fields = dict(spec)
            slug = fields.pop("slug")
            try:
                path = "/api/v1/checks/by-slug/" + urllib.parse.quote(slug, safe="")
                check = json.loads(self._send("PUT", path, json.dumps(fields).encode(), api=True))
            except Exception as err:
                logger.warning("vigil: register %s failed: %s", slug, err)
                continue
            with self._ids_lock:
                self._ids[check["slug"]] = check["id"]
            stored.append(check)
        return stored


    def ping(self, check, message=None, run_id=None, action=None):
        # type: (str, Optional[str], Optional[str], Union[str, int, None]) -> bool
        """One ping: success, or action "start" / "fail" / "log" / an exit status. True if vigil got it."""
        try:
            path = self._ping_path(check)
            if action is not None and action != "success":
                path += "/" + str(action)
            if run_id:
                path += "?rid=" + urllib.parse.quote(str(run_id))
            self._send("POST", path, (message or "").encode("utf-8"))
            return True
        except Exception as err:
            logger.warning("vigil: ping %s (%s) failed: %s", check, action or "success", err)
            return False

    def start(self, check, message=None, run_id=None):  # type: (str, Optional[str], Optional[str]) -> bool
        return self.ping(check, message, run_id, "start")

    def success(self, check, message=None, run_id=None):
        # type: (str, Optional[str], Optional[str]) -> bool
        return self.ping(check, message, run_id)

    def fail(self, check, message=None, run_id=None):
        # type: (str, Optional[str], Optional[str]) -> bool
        return self.ping(check, message, run_id, "fail")

    def exit_code(self, check, code, message=None, run_id=None):
        # type: (str, int, Optional[str], Optional[str]) -> bool
        return self.ping(check, message, run_id, int(code))


    def monitor(self, check):
        # type: (str) -> Monitor
        """A run of `check`, as a decorator or a context manager:

            @vigil.monitor("backup")          with vigil.monitor("backup"):
            def backup(): ...                     ...

        Sends a start, then a success (vigil measures the duration by the shared run id) or,
        when the body raises, a fail with the exception and the end of its traceback; the
        exception propagates unchanged.
        """
        return Monitor(self, check)

    def heartbeat(self, check, every=60, status=None):
        # type: (str, float, Optional[Callable[[], str]]) -> Heartbeat
        """Ping `check` now and every `every` seconds from a daemon thread; `.stop()` ends it.

        `status()` returns "ok" or "fail"; raising counts as "fail" with the exception.
        """
        return Heartbeat(self, check, every, status)


    def _ping_path(self, check):
        # type: (str) -> str
        if _UUID.match(check):
            return "/ping/" + check
        with self._ids_lock:
            known = self._ids.get(check)
        if known:
            return "/ping/" + known
        if self.ping_key:
            return "/ping/%s/%s" % (urllib.parse.quote(self.ping_key, safe=""), urllib.parse.quote(check, safe="/"))
        if not self.api_key:
            raise VigilError('cannot address the check "%s" by slug: give a ping_key or an api_key' % check)
        query = urllib.parse.urlencode({"slug": check, "limit": 1})
        found = json.loads(self._send("GET", "/api/v1/checks?" + query, api=True))["checks"]
        if not found:
            raise VigilError('no check with the slug "%s" in this API key\'s project' % check, 404)
        with self._ids_lock:
            self._ids[check] = found[0]["id"]
        return "/ping/" + found[0]["id"]

    def _send(self, method, path, body=None, api=False):
        # type: (str, str, Optional[bytes], bool) -> str
        """The answer's text; retries network errors, timeouts, 5xx and 429; raises VigilError."""
        headers = {"User-Agent": "vigil-client-python/" + __version__}
        if api:
            if not self.api_key:
                raise VigilError("this needs an API key: pass api_key to Vigil()")
            headers["Authorization"] = "Bearer " + self.api_key
            if body is not None:
                headers["Content-Type"] = "application/json"
        elif body is not None:
            headers["Content-Type"] = "text/plain; charset=utf-8"
        what = "%s %s" % (method, path)
        last = None  # type: Optional[VigilError]
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(_BACKOFF * 2 ** (attempt - 1))
            request = urllib.request.Request(self.url + path, data=body, headers=headers, method=method)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:
                    return response.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as err:
                last = VigilError("%s: %s %s" % (what, err.code, _reason(err)), err.code)
                if err.code < 500 and err.code != 429:
                    raise last
            except (urllib.error.URLError, OSError) as err:
                detail = getattr(err, "reason", err)
                last = VigilError("%s: %s" % (what, detail))
        tries = self.retries + 1
        raise VigilError("%s (%d %s)" % (last, tries, "try" if tries == 1 else "tries"), last.status if last else None)


def _reason(err):
    # type: (urllib.error.HTTPError) -> str
    text = err.read().decode("utf-8", "replace")
    try:
        return str(json.loads(text)["error"]["message"])
    except Exception:
        return text[:200].strip() or "no details"


def _describe(exc):
    # type: (BaseException) -> str
    """The exception line and the last frames of its traceback, short enough for a ping body."""
    lines = traceback.format_exception(type(exc), exc, exc.__traceback__)
    text = "".join(lines[-1:] + lines[-4:-1]).strip()
    return text[:_MAX_MESSAGE]


class Monitor(object):
    """One run of a check; see Vigil.monitor. Each use (each call, each `with`) is a fresh run."""

    def __init__(self, vigil, check):
        # type: (Vigil, str) -> None
        self.vigil = vigil
        self.check = check
        self._local = threading.local()  # run ids, so one Monitor may be used from many threads

    def __enter__(self):
        # type: () -> Monitor
        run_id = str(uuid.uuid4())
        self._runs().append(run_id)
        self.vigil.start(self.check, run_id=run_id)
        return self

    def __exit__(self, exc_type, exc, tb):
        # type: (Any, Optional[BaseException], Any) -> bool
        run_id = self._runs().pop()
        if exc is None:
            self.vigil.success(self.check, run_id=run_id)
        else:
            self.vigil.fail(self.check, message=_describe(exc), run_id=run_id)
        return False  # never swallow the exception

    def _runs(self):
        # type: () -> List[str]
        if not hasattr(self._local, "runs"):
            self._local.runs = []
        return self._local.runs

    def __call__(self, fn):
        # type: (Callable[..., Any]) -> Callable[..., Any]
        vigil, check = self.vigil, self.check
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args, **kwargs):
                with Monitor(vigil, check):
                    return await fn(*args, **kwargs)

            return run_async

        @functools.wraps(fn)
        def run(*args, **kwargs):
            with Monitor(vigil, check):
                return fn(*args, **kwargs)

        return run


class Heartbeat(object):
    """A daemon thread pinging a check every `every` seconds until `stop()`."""

    def __init__(self, vigil, check, every, status=None):
        # type: (Vigil, str, float, Optional[Callable[[], str]]) -> None
        if not every > 0:
            raise ValueError("heartbeat: every must be a positive number of seconds")
        self.vigil = vigil
        self.check = check
        self.every = every
        self.status = status
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="vigil-heartbeat-" + check, daemon=True)
        self._thread.start()

    def _loop(self):
        # type: () -> None
        while not self._stopped.is_set():
            self._beat()
            self._stopped.wait(self.every)

    def _beat(self):
        # type: () -> None
        message = None
        try:
            ok = self.status is None or self.status() == "ok"
        except Exception as exc:
            ok, message = False, _describe(exc)
        if self._stopped.is_set():
            return
        if ok:
            self.vigil.success(self.check)
        else:
            self.vigil.fail(self.check, message=message)

    def stop(self, timeout=None):
        # type: (Optional[float]) -> None
        """Stop pinging; waits (up to `timeout` seconds) for a ping in flight."""
        self._stopped.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
