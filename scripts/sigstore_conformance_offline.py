"""A pytest plugin (-p sigstore_conformance_offline) that lets sigstore-conformance's suite run
offline: its conftest fetches an OIDC token over the network even for verification, with
`from urllib3 import request`. This plugin is imported first and answers that one request with
a token carrying the suite's documented identity (verification reads only `email` and `iss`);
any other request fails."""

import base64
import json
import time

import urllib3

TOKEN_URL = (
    "https://storage.googleapis.com/sigstore-conformance-testing-token/untrusted-testing-token.txt"
)
IDENTITY = (
    "https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/"
    ".github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main"
)
ISSUER = "https://token.actions.githubusercontent.com"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _token() -> str:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    payload = _b64(
        json.dumps({"email": IDENTITY, "iss": ISSUER, "exp": int(time.time()) + 3600}).encode()
    )
    return f"{header}.{payload}.offline"


class _Response:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.status = 200


def _offline_request(method, url, *args, **kwargs):
    if method == "GET" and url == TOKEN_URL:
        return _Response(_token().encode())
    raise RuntimeError(f"offline run: no network request to {url}")


urllib3.request = _offline_request
