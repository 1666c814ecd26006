#!/usr/bin/env python3
"""End-to-end test of publishing a pass template (docs/TEMPLATES.md, "Editing templates"):
`passledger serve` with push on (token auth) against the APNs stand-in
(tests/testing/apns_standin.mjs). An admin signs in over the admin API, reads the draft, saves
it with a new background colour, previews a member's pass from it and publishes it; then every
device registered for a pass of the type is pushed exactly once (a device holding two passes
once, an unregistered device not at all), a phone's list names its pass as changed and the pass
it downloads has the new colour; after a restart the server still serves the published
version and pushes nothing again. Python stdlib only.

Usage: template_push_test.py PASSLEDGER_BINARY SOURCE_DIR
"""
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import zipfile

BIN, SRC = sys.argv[1], sys.argv[2]
TYPE = "pass.org.example.member"
KEY_ID, TEAM_ID = "TESTKEY123", "TEAMID1234"
PASSWORD = "template-publisher-long-pw"
NEW_COLOUR = "rgb(10, 20, 30)"
work = tempfile.mkdtemp(prefix="passledger-template-push-test.")
data = os.path.join(work, "data")
procs = []


def fail(message):
    print("FAIL: " + message, file=sys.stderr)
    err = os.path.join(work, "server.err")
    if os.path.exists(err):
        print("".join(open(err).readlines()[-25:]), file=sys.stderr)
    sys.exit(1)


def check(condition, message):
    if not condition:
        fail(message)
    print("ok   " + message)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(predicate, what, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    fail("timed out waiting for " + what)


certs = os.path.join(work, "certs")
subprocess.run([os.path.join(SRC, "tests/testing/make_apns_test_certs.sh"), certs], check=True,
               stdout=subprocess.DEVNULL)
ready = os.path.join(work, "standin.json")
standin = subprocess.Popen(
    ["node", os.path.join(SRC, "tests/testing/apns_standin.mjs"), "--cert",
     os.path.join(certs, "server.pem"), "--key", os.path.join(certs, "server.key"),
     "--jwt-public-key", os.path.join(certs, "AuthKey_%s.pub.pem" % KEY_ID), "--ready-file", ready])
procs.append(standin)
wait_for(lambda: os.path.exists(ready), "the stand-in to listen", 20)
ports = json.load(open(ready))


def control(method, path, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", ports["controlPort"], timeout=30)
    conn.request(method, path, json.dumps(body) if body is not None else None,
                 {"content-type": "application/json"})
    response = conn.getresponse()
    text = response.read()
    conn.close()
    if response.status != 200:
        fail("control %s %s: %d %s" % (method, path, response.status, text))
    return json.loads(text)


def pushes():
    out, seq = [], 0
    while True:
        page = control("GET", "/requests?since=%d&limit=100000" % seq)
        out += page["requests"]
        if not page["requests"]:
            return out
        seq = page["next"]


port = free_port()
base = "127.0.0.1:%d" % port
config = os.path.join(work, "passledger.toml")
with open(config, "w") as f:
    f.write("""
[apns]
auth = "token"
url = "https://127.0.0.1:%d"
ca_file = "%s"
key_file = "%s"
key_id = "%s"
team_id = "%s"
coalesce_ms = 200
timeout_seconds = 5
""" % (ports["port"], os.path.join(certs, "ca.pem"),
       os.path.join(certs, "AuthKey_%s.p8" % KEY_ID), KEY_ID, TEAM_ID))
server = None


def passledger(*args, stdin=None):
    result = subprocess.run([BIN, "--data", data, "--config", config] + list(args),
                            capture_output=True, text=True, input=stdin)
    if result.returncode != 0:
        fail("passledger %s: %s" % (" ".join(args), result.stderr))
    return result


def healthy():
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        return conn.getresponse().status == 200
    except OSError:
        return False


def start():
    global server
    server = subprocess.Popen([BIN, "--data", data, "--config", config, "serve", "--listen", base],
                              stdout=open(os.path.join(work, "server.out"), "a"),
                              stderr=open(os.path.join(work, "server.err"), "a"))
    procs.append(server)
    wait_for(lambda: healthy() or server.poll() is not None, "the server")
    if server.poll() is not None:
        fail("the server exited at start")


def stop():
    global server
    server.send_signal(signal.SIGTERM)
    if server.wait(timeout=60) != 0:
        fail("the server exited %d after SIGTERM" % server.returncode)
    server = None


def request(method, path, token=None, body=None, headers=None, raw=False):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "ApplePass " + token
    if body is not None:
        h["Content-Type"] = "application/json"
    conn.request(method, path, json.dumps(body) if body is not None else None, h)
    response = conn.getresponse()
    payload = response.read()
    headers_out = dict(response.getheaders())
    conn.close()
    return response.status, payload, headers_out


def register(device, serial, push_token):
    status, _, _ = request("POST", "/v1/devices/%s/registrations/%s/%s" % (device, TYPE, serial),
                           tokens[serial], {"pushToken": push_token})
    if status not in (200, 201):
        fail("register %s for %s: %d" % (device, serial, status))


def listing(device, tag=None):
    path = "/v1/devices/%s/registrations/%s" % (device, TYPE)
    if tag:
        path += "?passesUpdatedSince=" + tag
    status, payload, _ = request("GET", path)
    return status, json.loads(payload) if status == 200 else None


def pass_json(serial):
    status, payload, _ = request("GET", "/v1/passes/%s/%s" % (TYPE, serial), tokens[serial])
    if status != 200:
        fail("download %s: %d" % (serial, status))
    path = os.path.join(work, serial + ".pkpass")
    open(path, "wb").write(payload)
    return json.loads(zipfile.ZipFile(path).read("pass.json"))


def admin(method, path, body=None):
    headers = {"Cookie": session["cookie"], "X-CSRF-Token": session["csrf"]}
    status, payload, _ = request(method, path, body=body, headers=headers)
    return status, json.loads(payload) if payload else None


try:
    passledger("import", os.path.join(SRC, "tools/demo/demo-roster.csv"))
    passledger("user", "add", "root", "--role", "admin", "--password-stdin", stdin=PASSWORD + "\n")
    start()

    rendered = passledger("pass", "render", "--all", "--out",
                          os.path.join(work, "passes")).stdout.splitlines()
    tokens = {}
    for line in rendered:
        serial, path = line.split("\t")[:2]
        tokens[serial] = json.loads(zipfile.ZipFile(path).read("pass.json"))["authenticationToken"]
    serials = sorted(tokens)
    check(len(serials) >= 4, "the demo roster has %d passes" % len(serials))

    # Devices: one per pass for the first three passes, one holding passes 0 and 3, and one
    # registered then unregistered.
    devices = {}
    for i in range(3):
        devices["phone%d" % i] = ([serials[i]], "%064x" % (0xB0 + i))
    devices["tablet"] = ([serials[0], serials[3]], "%064x" % 0xC0)
    for device, (held, push_token) in devices.items():
        for serial in held:
            register(device, serial, push_token)
    gone_token = "%064x" % 0xD0
    register("gone", serials[1], gone_token)
    status, _, _ = request("DELETE", "/v1/devices/gone/registrations/%s/%s" % (TYPE, serials[1]),
                           tokens[serials[1]])
    check(status == 200, "device 'gone' unregistered")
    _, before = listing("phone0")
    check(pass_json(serials[0])["backgroundColor"] == "rgb(38, 84, 58)",
          "before publishing, passes have the configured background")
    time.sleep(0.5)
    check(pushes() == [], "no push before the template changes")

    status, payload, headers = request("POST", "/admin/api/session",
                                       body={"username": "root", "password": PASSWORD})
    check(status == 200, "the admin signs in")
    session = {"cookie": headers["Set-Cookie"].split(";")[0],
               "csrf": json.loads(payload)["csrfToken"]}

    path = "/admin/api/templates/" + TYPE
    status, draft = admin("GET", path)
    check(status == 200 and draft["saved"] is False and draft["published"] is None,
          "GET shows the configured template, nothing saved or published")
    draft["colors"]["background"] = NEW_COLOUR
    status, saved = admin("PUT", path, draft)
    check(status == 200 and saved["saved"] and saved["differsFromPublished"],
          "PUT saves the draft with the new colour (%d)" % status)
    status, preview = admin("POST", path + "/preview", {"membershipId": "8-10000001"})
    check(status == 200 and preview["backgroundColor"] == NEW_COLOUR,
          "the preview of a member's pass has the draft's colour")
    check(pass_json(serials[0])["backgroundColor"] == "rgb(38, 84, 58)",
          "saving a draft changes no served pass")

    status, outcome = admin("POST", path + "/publish", {})
    check(status == 200 and outcome["version"] == 1 and outcome["done"],
          "publish answers version 1, revisions done: %s" % outcome)
    check(outcome["passesRevised"] == len(serials),
          "every pass of the type was revised (%d)" % outcome["passesRevised"])
    registrations = sum(len(held) for held, _ in devices.values())
    check(outcome["devicesToPush"] == registrations,
          "devicesToPush counts the registrations (%d)" % outcome["devicesToPush"])

    expected = sorted(t for _, t in devices.values())
    wait_for(lambda: sorted({r["token"] for r in pushes() if r["status"] == 200}) == expected,
             "every registered device pushed", 60)
    time.sleep(1.5)  # anything extra would arrive now
    records = pushes()
    for device, (_, push_token) in devices.items():
        mine = [r for r in records if r["token"] == push_token]
        check(len(mine) == 1 and mine[0]["status"] == 200,
              "device %s pushed exactly once (%d)" % (device, len(mine)))
    check(not [r for r in records if r["token"] == gone_token], "the unregistered device got none")
    check(all(r["headers"]["apns-topic"] == TYPE for r in records), "apns-topic is the pass type")

    status, changed = listing("phone0", before["lastUpdated"])
    check(status == 200 and changed["serialNumbers"] == [serials[0]],
          "the phone's list names its pass as changed")
    check(pass_json(serials[0])["backgroundColor"] == NEW_COLOUR,
          "the phone downloads the pass with the new colour")
    check(pass_json(serials[3])["backgroundColor"] == NEW_COLOUR, "so does the tablet's second pass")
    log = passledger("log", "--type", "TemplatePublished").stdout.splitlines()
    check(len(log) == 1 and json.loads(log[0])["actor"] == "staff:root",
          "one TemplatePublished, by staff:root")
    mode = os.stat(os.path.join(data, "templates", TYPE, "v1", "look.json")).st_mode & 0o777
    check(mode == 0o600, "the published version's files are 0600 (%o)" % mode)

    # A restart: the published version is served, nothing is revised or pushed again.
    count = len(pushes())
    stop()
    start()
    check("version 1 as published" in open(os.path.join(work, "server.err")).read(),
          "the server says it starts with the published version")
    check(pass_json(serials[1])["backgroundColor"] == NEW_COLOUR,
          "after the restart passes still have the new colour")
    time.sleep(1.5)
    check(len(pushes()) == count, "the restart pushed nothing again")
    stop()
    print("PASS")
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(work, ignore_errors=True)
