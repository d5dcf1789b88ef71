#!/usr/bin/env python3
"""Pairs an app with a patient over plain HTTP, as a browser and the app would, for scripts/bench.

  pair.py --base http://127.0.0.1:PORT --data-dir DIR --seed SEED.json [--patient other]
          [--scope "..."] [--count N]

SEED.json is what `mes-gateway seed-demo` printed (patient, login, password, client_id,
redirect_uri, scope; --patient other takes its "other_patient"). The patient logs in once
(password, then the one-time code read from DIR/outbox/), then approves the authorization
request N times (every box ticked); each approval is exchanged for tokens (authorization code +
PKCE S256) and gives a new refresh-token family. Prints one line per approval:
  <access_token> TAB <refresh_token>
Standard library only. Exits 1 with the failing step on stderr.
"""

import argparse
import base64
import hashlib
import html
import http.client
import json
import os
import re
import secrets
import sys
import urllib.parse


def fail(what, status=None, body=b"", location=""):
    detail = f" (HTTP {status}, Location {location!r}): {body[:400]!r}" if status else ""
    sys.exit(f"pair.py: {what}{detail}")


class Browser:
    """One HTTP/1.1 connection and the cookies the gateway set."""

    def __init__(self, base):
        url = urllib.parse.urlsplit(base)
        self.host, self.port = url.hostname, url.port or 80
        self.cookies = {}

    def request(self, method, target, form=None):
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for name, value in response.getheaders():
            if name.lower() != "set-cookie":
                continue
            pair = value.split(";", 1)[0]
            key, _, val = pair.partition("=")
            if not val or "Max-Age=0" in value:
                self.cookies.pop(key, None)
            else:
                self.cookies[key] = val
        return response.status, response.getheader("Location") or "", data


def path_of(url):
    parts = urllib.parse.urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def hidden_inputs(page):
    text = page.decode("utf-8", "replace")
    return [(html.unescape(n), html.unescape(v)) for n, v in
            re.findall(r'<input type="hidden" name="([^"]*)" value="([^"]*)"', text)]


def checkbox_values(page, name):
    text = page.decode("utf-8", "replace")
    return [html.unescape(v) for v in
            re.findall(r'<input type="checkbox" name="' + re.escape(name) + r'" value="([^"]*)"', text)]


def latest_login_code(data_dir, patient):
    outbox = os.path.join(data_dir, "outbox")
    for name in sorted((f for f in os.listdir(outbox) if f.endswith(".json")), reverse=True):
        with open(os.path.join(outbox, name), encoding="utf-8") as f:
            message = json.load(f)
        if message.get("kind") == "login-code" and message.get("recipient") == patient:
            return message["data"]["code"]
    fail(f"no login code for {patient} in {outbox}")


def login(browser, data_dir, account, next_path):
    status, location, page = browser.request("GET", "/portal/login?next=" + urllib.parse.quote(next_path, safe=""))
    if status != 200:
        fail("login page", status, page, location)
    form = hidden_inputs(page) + [("login", account["login"]), ("password", account["password"])]
    status, location, page = browser.request("POST", "/portal/login", form)
    if status != 303:
        fail("password step", status, page, location)
    status, otp_location, page = browser.request("GET", path_of(location))
    if status != 200:
        fail("one-time code page", status, page, otp_location)
    form = hidden_inputs(page) + [("code", latest_login_code(data_dir, account["patient_id"]))]
    status, location, page = browser.request("POST", "/portal/otp", form)
    if status != 303:
        fail("one-time code step", status, page, location)
    return path_of(location)


def pair_once(browser, base, data_dir, account, seed, scope):
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    state = secrets.token_urlsafe(12)
    query = urllib.parse.urlencode({
        "response_type": "code", "client_id": seed["client_id"], "redirect_uri": seed["redirect_uri"],
        "scope": scope, "state": state, "code_challenge": challenge,
        "code_challenge_method": "S256", "aud": base + "/fhir"})
    status, location, page = browser.request("GET", "/oauth/authorize?" + query)
    if status != 303:
        fail("authorize", status, page, location)
    consent_path = path_of(location)
    status, location, page = browser.request("GET", consent_path)
    if status == 303:  # not logged in yet
        consent_path = login(browser, data_dir, account, consent_path)
        status, location, page = browser.request("GET", consent_path)
    if status != 200:
        fail("consent page", status, page, location)
    form = hidden_inputs(page) + [("access", v) for v in checkbox_values(page, "access")]
    form.append(("decision", "approve"))
    status, location, page = browser.request("POST", "/portal/consent", form)
    if status != 303:
        fail("consent decision", status, page, location)
    redirect = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    if redirect.get("state") != [state] or "code" not in redirect:
        fail("no code (or another state) in the redirect", status, page, location)
    status, location, body = browser.request("POST", "/oauth/token", [
        ("grant_type", "authorization_code"), ("code", redirect["code"][0]),
        ("redirect_uri", seed["redirect_uri"]), ("code_verifier", verifier),
        ("client_id", seed["client_id"])])
    if status != 200:
        fail("token exchange", status, body, location)
    token = json.loads(body)
    if token.get("patient") != account["patient_id"]:
        fail(f"token for patient {token.get('patient')!r}, not {account['patient_id']!r}")
    return token["access_token"], token.get("refresh_token", "")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base", required=True, help="http://host:port of the gateway")
    parser.add_argument("--data-dir", required=True, help="its data dir (for the outbox)")
    parser.add_argument("--seed", required=True, help="the JSON seed-demo printed")
    parser.add_argument("--patient", choices=("demo", "other"), default="demo")
    parser.add_argument("--scope", help="default: every scope of the demo service")
    parser.add_argument("--count", type=int, default=1)
    args = parser.parse_args()
    with open(args.seed, encoding="utf-8") as f:
        seed = json.load(f)
    account = seed["other_patient"] if args.patient == "other" else seed
    base = args.base.rstrip("/")
    browser = Browser(base)
    for _ in range(args.count):
        access, refresh = pair_once(browser, base, args.data_dir, account, seed, args.scope or seed["scope"])
        print(f"{access}\t{refresh}", flush=True)


if __name__ == "__main__":
    main()
