"""A small HTTP client for loopback benchmarks, and the concurrent load driver.

http.client, not a richer library: on a small machine the client shares the CPU with the
server, and the less the client costs, the more the figures say about the server.
"""
import http.client
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from urllib.parse import urlencode

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                     r'type="hidden" name="csrf_token" value="([^"]+)"')


class Client:
    """One browser-like client: keeps its cookies, opens a connection per request. With a
    token it is an API client instead: it sends the token and JSON bodies."""

    def __init__(self, port: int, timeout: float = 30, token: str | None = None):
        self.port = port
        self.timeout = timeout
        self.token = token
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None,
                json_body: dict | None = None) -> tuple[int, str]:
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        data = None
        if body is not None:
            data = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            data = json.dumps(json_body)
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            text = response.read().decode("utf-8", "replace")
            for header in response.headers.get_all("Set-Cookie") or []:
                for name, morsel in SimpleCookie(header).items():
                    self.cookies[name] = morsel.value
            return response.status, text
        finally:
            conn.close()

    def get(self, path: str) -> tuple[int, str]:
        return self.request("GET", path)

    def login(self, username: str, password: str) -> None:
        """Log in through the real form: CSRF token from the page, then POST."""
        status, page = self.get("/login")
        match = CSRF_RE.search(page)
        if status != 200 or not match:
            raise RuntimeError(f"login page answered {status} without a CSRF token")
        token = match.group(1) or match.group(2)
        status, _ = self.request("POST", "/login", {"csrf_token": token, "username": username,
                                                    "password": password})
        if status != 302:
            raise RuntimeError(f"login as {username} failed: status {status}")


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    errors: int = 0
    elapsed: float = 0.0
    first_error: str = ""


def drive(clients, request_for, *, expect: int, duration: float, max_requests: int) -> Result:
    """Each client in its own thread sends request_for(i) = (method, path, JSON body or None)
    until time or count runs out."""
    result = Result()
    counter = itertools.count()
    lock = threading.Lock()
    start = time.perf_counter()
    deadline = start + duration

    def work(client):
        while time.perf_counter() < deadline:
            i = next(counter)
            if i >= max_requests:
                return
            method, path, json_body = request_for(i)
            t0 = time.perf_counter()
            try:
                status, text = client.request(method, path, json_body=json_body)
                problem = "" if status == expect else f"status {status} for {method} {path}: " \
                                                      f"{text[:200]}"
            except OSError as error:
                problem = f"{type(error).__name__}: {error}"
            took = time.perf_counter() - t0
            with lock:
                if problem:
                    result.errors += 1
                    result.first_error = result.first_error or problem
                else:
                    result.latencies.append(took)

    threads = [threading.Thread(target=work, args=(c,), daemon=True) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.elapsed = time.perf_counter() - start
    return result


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, round(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]
