"""HTTP for the SIS adapters: a timeout on every call, a few quick retries when the SIS times out or
answers 5xx (a district server restarting at night), and a clear SisError otherwise.

Never called inside a database transaction: the sync reads the SIS first and writes afterwards.
"""

import logging
import time

import requests

from .base import SisError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 5
READ_TIMEOUT = 30
RETRIES = 2  # after the first attempt: three tries in all
BACKOFF_SECONDS = 0.5  # doubled each retry: 0.5 s, then 1 s
RETRY_STATUSES = frozenset({500, 502, 503, 504})


class SisHttp:
    def __init__(self, base_url, *, headers=None, session=None):
        self.base_url = base_url.rstrip("/")
        self.headers = {"Accept": "application/json", **(headers or {})}
        self.session = session or requests.Session()
        self.requests_made = 0

    def url(self, path):
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def get(self, path, *, params=None, headers=None):
        """(JSON body, response headers) of a GET, retried on a timeout or a 5xx."""
        response = self._send("GET", path, params=params, headers=headers, retry=True)
        return _json(response), response.headers

    def post(self, path, *, json=None, data=None, auth=None, headers=None, retry=False):
        response = self._send("POST", path, json=json, data=data, auth=auth, headers=headers, retry=retry)
        return _json(response) if response.content else None, response.headers

    def _send(self, method, path, *, retry, headers=None, **kwargs):
        url = self.url(path)
        attempts = 1 + (RETRIES if retry else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            self.requests_made += 1
            try:
                response = self.session.request(
                    method,
                    url,
                    headers={**self.headers, **(headers or {})},
                    timeout=(CONNECT_TIMEOUT, READ_TIMEOUT),
                    **kwargs,
                )
            except requests.Timeout as exc:
                if last:
                    raise SisError(f"The SIS did not answer {method} {_where(url)} in time.") from exc
            except requests.RequestException as exc:
                if last:
                    raise SisError(f"The SIS could not be reached ({type(exc).__name__}) at {_where(url)}.") from exc
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in RETRY_STATUSES or last:
                    raise SisError(_refusal(method, url, response))
            log.warning("SIS %s %s failed (attempt %s of %s); retrying", method, _where(url), attempt + 1, attempts)
            time.sleep(BACKOFF_SECONDS * 2**attempt)
        raise AssertionError("unreachable")  # the loop returns or raises


def _where(url):
    # The path only: a query string may carry a certificate (Aeries accepts ?cert=).
    return url.split("?", 1)[0]


def _refusal(method, url, response):
    status = response.status_code
    if status in (401, 403):
        return f"The SIS refused the credentials ({status}) for {method} {_where(url)}: check the secret."
    if status == 404:
        return f"The SIS has no {_where(url)} (404): check the base URL and the school code."
    if status == 429:
        return f"The SIS is limiting requests (429) at {_where(url)}: the next run tries again."
    return f"The SIS answered {status} to {method} {_where(url)}."


def _json(response):
    try:
        return response.json()
    except ValueError as exc:
        raise SisError(f"The SIS answered {_where(response.url or '')} with something that is not JSON.") from exc
