"""What the bench setup scripts share: calling a running mentorhub's JSON API, and
registering a member. Standard library only."""

import json
import urllib.error
import urllib.request


class Api:
    def __init__(self, base):
        self.base = base

    def call(self, method, path, token=None, body=None):
        """One request; a non-2xx answer ends the script with what the server said."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("content-type", "application/json")
        if token:
            req.add_header("authorization", "Bearer " + token)
        try:
            with urllib.request.urlopen(req) as r:
                text = r.read()
                return r.status, (json.loads(text) if text else None)
        except urllib.error.HTTPError as e:
            raise SystemExit(f"{method} {path}: {e.code} {e.read().decode()}")

    def register(self, email):
        """A new member: (user id, access token)."""
        _, b = self.call("POST", "/api/v1/auth/register", body={
            "email": email, "password": "bench password 1", "first_name": "Bench",
            "last_name": email.split("@")[0]})
        return b["user"]["id"], b["access_token"]
