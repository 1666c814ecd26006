#!/usr/bin/env python3
"""End-to-end test of push (docs/PUSH.md): `passledger serve` with token auth against the APNs
stand-in (tests/testing/apns_standin.mjs, a real Node HTTP/2 TLS server that checks the JWT and,
like APNs, allows one stream until it has seen a valid token).

Covered: the request exactly (method, path, every apns-* header, the body, the JWT verified with
the key's public half, kid/iss/iat, one JWT for every request and connection); coalescing (two
changed passes on one device -> one push; 100 revisions -> one push per device; an unregistered
device -> none); Apple's answers (410 after the registration -> removed and the list route
answers 204; 410 older than a re-registration -> kept; 400 BadDeviceToken -> removed; 429 and
500 -> retried and delivered); a 403 configuration error stops pushing, shows in /healthz and
/metrics, touches no registration, and the batch is sent after a restart; GOAWAY and
REFUSED_STREAM in the middle of a fan-out lose nothing; a phone played by the test lists and
downloads the changed pass; forgetting the member pushes its phones a void pass that names
nobody; SIGKILL during a fan-out to 10,000 devices, restart -> every device
pushed at least once (the duplicates are printed). Python stdlib only.

Usage: push_test.py PASSLEDGER_BINARY SOURCE_DIR
"""
import base64
import http.client
import json
import os
import re
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
work = tempfile.mkdtemp(prefix="passledger-push-test.")
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


# ---- the stand-in -------------------------------------------------------------------------
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


def pushes(since=0):
    out, seq = [], since
    while True:
        page = control("GET", "/requests?since=%d&limit=100000" % seq)
        out += page["requests"]
        if not page["requests"]:
            return out
        seq = page["next"]


def answered(records, token, status=200):
    return [r for r in records if r["token"] == token and r["status"] == status]


# ---- the server ---------------------------------------------------------------------------
port = free_port()
base = "127.0.0.1:%d" % port
config = os.path.join(work, "passledger.toml")
with open(config, "w") as f:
    f.write("""
[passkit]
max_devices_per_pass = 10000
register_per_minute_per_pass = 1000000
register_burst_per_pass = 1000000
register_per_minute_per_client = 1000000
register_burst_per_client = 1000000

[apns]
auth = "token"
url = "https://127.0.0.1:%d"
ca_file = "%s"
key_file = "%s"
key_id = "%s"
team_id = "%s"
coalesce_ms = 200
timeout_seconds = 5
max_streams = 50
""" % (ports["port"], os.path.join(certs, "ca.pem"),
       os.path.join(certs, "AuthKey_%s.p8" % KEY_ID), KEY_ID, TEAM_ID))
server = None


def passledger(*args, check_status=True):
    result = subprocess.run([BIN, "--data", data, "--config", config] + list(args),
                            capture_output=True, text=True)
    if check_status and result.returncode != 0:
        fail("passledger %s: %s" % (" ".join(args), result.stderr))
    return result


def healthz():
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    except OSError:
        return None, None


def start(demo=False):
    global server
    args = [BIN, "--data", data, "--config", config, "serve", "--listen", base]
    if demo:
        args.append("--demo")
    server = subprocess.Popen(args, stdout=open(os.path.join(work, "server.out"), "a"),
                              stderr=open(os.path.join(work, "server.err"), "a"))
    procs.append(server)
    wait_for(lambda: healthz()[0] == 200 or server.poll() is not None, "the server")
    if server.poll() is not None:
        fail("the server exited at start")


def stop(kill=False):
    global server
    if kill:
        server.send_signal(signal.SIGKILL)
        server.wait()
    else:
        server.send_signal(signal.SIGTERM)
        if server.wait(timeout=60) != 0:
            fail("the server exited %d after SIGTERM" % server.returncode)
    server = None


def request(method, path, token=None, body=None, headers=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    h = dict(headers or {})
    if token:
        h["Authorization"] = "ApplePass " + token
    conn.request(method, path, json.dumps(body) if body is not None else None, h)
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    return response.status, payload


def register(device, serial, push_token):
    status, _ = request("POST", "/v1/devices/%s/registrations/%s/%s" % (device, TYPE, serial),
                        tokens[serial], {"pushToken": push_token})
    if status not in (200, 201):
        fail("register %s for %s: %d" % (device, serial, status))


def listing(device, tag=None):
    path = "/v1/devices/%s/registrations/%s" % (device, TYPE)
    if tag:
        path += "?passesUpdatedSince=" + tag
    status, payload = request("GET", path)
    return status, json.loads(payload) if status == 200 else None


def pass_json(serial):
    status, payload = request("GET", "/v1/passes/%s/%s" % (TYPE, serial), tokens[serial])
    if status != 200:
        fail("download %s: %d" % (serial, status))
    path = os.path.join(work, serial + ".pkpass")
    open(path, "wb").write(payload)
    return json.loads(zipfile.ZipFile(path).read("pass.json"))


def token(n):
    return "%064x" % n


def lines_file(name, events):
    path = os.path.join(work, name)
    with open(path, "w") as f:
        for stream, kind, payload in events:
            f.write(json.dumps({"stream": stream, "type": kind, "payload": payload}) + "\n")
    return path


def revise(serial, count=1):
    passledger("append", "--lines", lines_file(
        "revise.jsonl", [("pass-" + serial, "PassRevised", {"serial": serial, "reason": "test %d" % i})
                         for i in range(count)]))


def register_many(serial, first, count):
    passledger("append", "--lines", lines_file(
        "devices.jsonl",
        [("device-bulk%06d" % i, "DeviceRegistered",
          {"deviceId": "bulk%06d" % i, "passTypeId": TYPE, "serial": serial, "pushToken": token(i)})
         for i in range(first, first + count)]))


def metric(name):
    status, payload = request("GET", "/metrics")
    match = re.search(r"^%s (\S+)$" % re.escape(name), payload.decode(), re.M)
    return float(match.group(1)) if match else None


def batches():
    out = passledger("log", "--type", "PushBatchCompleted").stdout
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def b64json(part):
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


try:
    start(demo=True)
    err = open(os.path.join(work, "server.err")).read()
    check("push on: token auth (key %s, team %s)" % (KEY_ID, TEAM_ID) in err,
          "the server says push is on, with which key and team")

    rendered = passledger("pass", "render", "--member", "8-10000001", "--out",
                          os.path.join(work, "passes")).stdout.splitlines()
    serials = [line.split("\t")[0] for line in rendered]
    check(len(serials) >= 2, "member 8-10000001 has two passes (%s)" % serials)
    p1, p2 = serials[0], serials[1]
    tokens = {}
    for line in rendered:
        serial, path = line.split("\t")[:2]
        tokens[serial] = json.loads(zipfile.ZipFile(path).read("pass.json"))["authenticationToken"]

    # Devices: A, B on p1; C on p1 and p2; D registered then unregistered; E (410 later than
    # its registration), F (410 older than its registration), G (BadDeviceToken), H (429, 500)
    # on p2.
    tok = {name: token(0xA0 + i) for i, name in enumerate("ABCDEFGH")}
    for name in "ABC":
        register("dev" + name, p1, tok[name])
    register("devC", p2, tok["C"])
    register("devD", p1, tok["D"])
    status, _ = request("DELETE", "/v1/devices/devD/registrations/%s/%s" % (TYPE, p1), tokens[p1])
    check(status == 200, "device D unregistered")
    for name in "EFGH":
        register("dev" + name, p2, tok[name])
    _, before = listing("devA")
    now_ms = int(time.time() * 1000)
    control("POST", "/script", {"token": tok["E"], "responses": [
        {"status": 410, "reason": "Unregistered", "timestamp": now_ms + 3600_000}]})
    control("POST", "/script", {"token": tok["F"], "responses": [
        {"status": 410, "reason": "Unregistered", "timestamp": now_ms - 3600_000}]})
    control("POST", "/script", {"token": tok["G"], "responses": [
        {"status": 400, "reason": "BadDeviceToken"}]})
    control("POST", "/script", {"token": tok["H"], "responses": [
        {"status": 429, "reason": "TooManyRequests"}, {"status": 500, "reason": "InternalServerError"}]})
    check(pushes() == [], "no push before any pass changed")

    # One roster change of both passes' cardholders: stop, import, restart.
    stop()
    roster = open(os.path.join(SRC, "tools/demo/demo-roster.csv"), encoding="utf-8-sig").read()
    changed = roster.replace("Avery Quill,", "Avery Q. Quill,", 1).replace("Jordan Quill,", "Jordan Q. Quill,", 1)
    check(changed != roster, "the roster change names both cardholders")
    open(os.path.join(work, "changed.csv"), "w", encoding="utf-8").write(changed)
    passledger("import", os.path.join(work, "changed.csv"))
    start()
    wait_for(lambda: len(answered(pushes(), tok["H"])) == 1, "the pushes of the roster change", 60)
    time.sleep(1.0)  # anything extra would arrive now
    records = pushes()
    for name in "ABC":
        check(len([r for r in records if r["token"] == tok[name]]) == 1,
              "device %s got exactly one push (C holds both changed passes)" % name)
    check(not [r for r in records if r["token"] == tok["D"]], "the unregistered device got none")
    statuses_h = [r["status"] for r in records if r["token"] == tok["H"]]
    check(statuses_h == [429, 500, 200], "429 then 500 were retried until delivered (%s)" % statuses_h)

    first = records[0]
    h = first["headers"]
    check(h[":method"] == "POST" and h[":path"] == "/3/device/" + first["token"], "POST /3/device/<token>")
    check(h["apns-topic"] == TYPE and h["apns-push-type"] == "background" and h["apns-priority"] == "5",
          "apns-topic, apns-push-type background, apns-priority 5")
    expiration = int(h["apns-expiration"])
    check(abs(expiration - (time.time() + 86400)) < 120, "apns-expiration is now + 1 day")
    check(first["body"] == "{}", "the body is {}")
    check(all(r["jwtValid"] for r in records), "every JWT verifies with the key's public half")
    jwt = {r["headers"]["authorization"] for r in records}
    check(len(jwt) == 1, "one JWT for every request and connection (%d seen)" % len(jwt))
    jwt_header, jwt_claims = first["jwtHeader"], first["jwtClaims"]
    check(jwt_header == {"alg": "ES256", "kid": KEY_ID}, "JWT header alg ES256, kid %s" % KEY_ID)
    check(jwt_claims["iss"] == TEAM_ID and abs(jwt_claims["iat"] - time.time()) < 3600,
          "JWT iss is the team, iat within the hour")
    by_connection = {}
    for r in records:
        by_connection.setdefault(r["connection"], []).append(r)
    check(all(c[0]["stream"] == 1 for c in by_connection.values()),
          "each connection's first request is its first stream")

    status, _ = listing("devE")
    check(status == 204, "410 after the registration: device E is gone (list answers 204)")
    status, _ = listing("devF")
    check(status == 200, "410 older than the registration: device F is kept")
    status, _ = listing("devG")
    check(status == 204, "400 BadDeviceToken: device G is gone")
    recorded = batches()
    last = recorded[-1]["payload"]
    check(last["sent"] == 4 and last["unregistered"] == 2 and last["devices"] == 7,
          "one PushBatchCompleted for the batch: %s" % json.dumps(last))

    # The phone: told to update, it asks what changed and downloads it.
    status, changed_list = listing("devA", before["lastUpdated"])
    check(status == 200 and changed_list["serialNumbers"] == [p1], "the phone's list names p1")
    downloaded = json.dumps(pass_json(p1))
    check("Avery Q. Quill" in downloaded or "Jordan Q. Quill" in downloaded,
          "the phone downloads the pass with the new name")
    came_back = metric("passledger_push_to_list_seconds_count")
    check(came_back is not None and came_back >= 1, "the came-back latency counted the phone")
    check(metric("passledger_push_commit_to_accept_seconds_count") is not None, "commit-to-accept histogram")

    # 100 revisions of p1 -> one push per device of p1. Device D registers again, so the
    # same check that saw none for it above now sees its push.
    register("devD", p1, tok["D"])
    stop()
    revise(p1, 100)
    mark = control("GET", "/stats")["requests"]
    start()
    wait_for(lambda: len(pushes()) >= mark + 4, "the pushes of 100 revisions")
    time.sleep(1.0)
    new = [r for r in pushes() if r["seq"] > mark]
    counts = sorted(r["token"] for r in new)
    check(counts == sorted([tok["A"], tok["B"], tok["C"], tok["D"]]),
          "100 revisions: one push per device (D, registered again, included)")

    # A configuration error: stop pushing, say so, touch nothing.
    control("POST", "/script", {"token": "*", "responses": [
        {"status": 403, "reason": "BadCertificateEnvironment"}] * 3})
    stop()
    revise(p1)
    start()
    wait_for(lambda: healthz()[1] and healthz()[1].get("status") == "degraded", "/healthz degraded")
    _, health = healthz()
    check("BadCertificateEnvironment" in health.get("push", ""), "/healthz names the APNs answer: %s" % health)
    check(metric("passledger_push_stopped") == 1, "/metrics passledger_push_stopped 1")
    check("ALERT: push stopped: 403 BadCertificateEnvironment" in open(os.path.join(work, "server.err")).read(),
          "the log has the alert")
    for name in "ABC":
        check(listing("dev" + name)[0] == 200, "device %s still registered" % name)
    control("POST", "/script", {"token": "*", "responses": []})
    mark = control("GET", "/stats")["requests"]
    stop()
    start()
    wait_for(lambda: len(answered([r for r in pushes() if r["seq"] > mark], tok["A"])) == 1,
             "the stopped batch sent after the restart")
    check(healthz()[1]["status"] == "ok", "after the restart /healthz is ok again")

    # GOAWAY and REFUSED_STREAM in the middle of a fan-out to 300 devices.
    stop()
    register_many(p2, 0, 300)
    revise(p2)
    control("POST", "/reset")
    control("POST", "/goaway-after", {"requests": 100})
    for i in (150, 151, 152):
        control("POST", "/script", {"token": token(i), "responses": [{"action": "refused_stream"}]})
    start()
    bulk = [token(i) for i in range(300)]
    wait_for(lambda: not control("POST", "/tokens-seen/check", {"tokens": bulk})["missing"],
             "every device of the fan-out delivered after GOAWAY and REFUSED_STREAM")
    records = pushes()
    check(any(r["status"] == "goaway" for r in records) or control("GET", "/stats")["connections"] > 1,
          "the GOAWAY left streams unprocessed or forced a new connection")
    check(any(r["status"] == "refused" for r in records), "streams were refused")
    print("     GOAWAY fan-out: %d requests for 300 devices over %d connections" %
          (len([r for r in records if r["token"] in set(bulk)]), control("GET", "/stats")["connections"]))

    # SIGKILL during a fan-out to 10,000 devices.
    stop()
    register_many(p2, 300, 9700)
    revise(p2)
    control("POST", "/reset")
    control("POST", "/default", {"delay_ms": 100})
    start()
    wait_for(lambda: control("GET", "/stats")["requests"] >= 2000, "the fan-out under way")
    stop(kill=True)
    delivered_before = len([r for r in pushes() if r["status"] == 200])
    control("POST", "/default", {"delay_ms": 0})
    start()
    fan = [token(i) for i in range(10000)]
    wait_for(lambda: not control("POST", "/tokens-seen/check", {"tokens": fan})["missing"],
             "every one of 10,000 devices pushed after SIGKILL and restart", 240)
    total = len([r for r in pushes() if r["status"] == 200 and r["token"] in set(fan)])
    check(total >= 10000, "10,000 devices each got at least one push")
    print("     SIGKILL fan-out: %d delivered before the kill, %d pushes in all for 10,000 devices "
          "= %d duplicates (at-least-once)" % (delivered_before, total, total - 10000))
    # Beside the server, `passledger push` is a batch of the server's own dispatcher (over the
    # operator socket, docs/ADMIN.md), printed as the command prints its own.
    result = passledger("push", "--serial", p1, check_status=False)
    check(result.returncode == 0 and
          re.match(r"pushed \d+ device\(s\): \d+ delivered, .*PushBatchCompleted at position \d+",
                   result.stdout) is not None,
          "passledger push beside the server goes through it: %s %s" % (result.stdout, result.stderr))
    _, before_forget = listing("devA")
    stop()

    # `passledger push` (server stopped): 403 ExpiredProviderToken -> a new JWT on a new
    # connection; the push is then delivered.
    control("POST", "/reset")
    control("POST", "/script", {"token": tok["A"], "responses": [
        {"status": 403, "reason": "ExpiredProviderToken"}]})
    out = passledger("push", "--serial", p1).stdout
    check("4 delivered" in out, "passledger push --serial: %s" % out.strip())
    records = [r for r in pushes() if r["token"] == tok["A"]]
    check([r["status"] for r in records] == [403, 200], "ExpiredProviderToken, then delivered")
    check(records[0]["headers"]["authorization"] != records[1]["headers"]["authorization"],
          "a new provider token after ExpiredProviderToken")
    check(records[0]["connection"] != records[1]["connection"], "and a new connection")

    # A server that lowers its stream limit: never more streams than it allows, nothing lost.
    register_many(p1, 20000, 200)
    control("POST", "/reset")
    control("POST", "/settings", {"maxConcurrentStreams": 4})
    control("POST", "/default", {"delay_ms": 20})
    out = passledger("push", "--serial", p1).stdout
    stats = control("GET", "/stats")
    check("204 delivered" in out, "lowered stream limit: %s" % out.strip())
    check(stats["maxConcurrentSeen"] <= 4, "at most 4 streams at once (%d)" % stats["maxConcurrentSeen"])
    control("POST", "/default", {"delay_ms": 0})

    # Forgetting the member voids both passes: the phones are pushed, and the pass they then
    # download is void and names nobody. The same check first finds the names in the pass the
    # phone downloaded before.
    personal = ["Quill", "Avery", "Jordan", "avery.quill@example.org", "8-10000001"]
    check(all(word in downloaded for word in personal),
          "the pass downloaded before names the member (%s)" % personal)
    passledger("forget", "--subject", "8-10000001", "--reason", "member asked")
    mark = control("GET", "/stats")["requests"]
    start()
    wait_for(lambda: len(answered([r for r in pushes() if r["seq"] > mark], tok["A"])) == 1,
             "the push to device A after the forget")
    status, forgot_list = listing("devA", before_forget["lastUpdated"])
    check(status == 200 and forgot_list["serialNumbers"] == [p1],
          "after the forget the phone's list names p1")
    void_pass = pass_json(p1)
    void_text = json.dumps(void_pass)
    check(void_pass.get("voided") is True, "the pass downloaded after the forget is void")
    check("barcodes" not in void_pass and "barcode" not in void_pass, "and has no barcode")
    check(not [word for word in personal if word in void_text],
          "and names nobody: %s" % [word for word in personal if word in void_text])
    stop()

    # Certificate auth: the pass certificate is the TLS client certificate; no JWT.
    ready2 = os.path.join(work, "standin2.json")
    procs.append(subprocess.Popen(
        ["node", os.path.join(SRC, "tests/testing/apns_standin.mjs"), "--cert",
         os.path.join(certs, "server.pem"), "--key", os.path.join(certs, "server.key"),
         "--client-ca", os.path.join(certs, "ca.pem"), "--ready-file", ready2]))
    wait_for(lambda: os.path.exists(ready2), "the second stand-in", 20)
    ports2 = json.load(open(ready2))
    config_text = open(config).read().replace('auth = "token"', 'auth = "certificate"').replace(
        "127.0.0.1:%d" % ports["port"], "127.0.0.1:%d" % ports2["port"])
    config = os.path.join(work, "certificate.toml")
    open(config, "w").write(config_text)
    out = passledger("push", "--serial", p2, "--member", "8-10000001").stdout
    check("delivered" in out, "certificate auth: %s" % out.strip())
    conn = http.client.HTTPConnection("127.0.0.1", ports2["controlPort"], timeout=30)
    conn.request("GET", "/requests?since=0&limit=5")
    seen = json.loads(conn.getresponse().read())["requests"]
    cn = subprocess.run(["openssl", "x509", "-noout", "-subject", "-nameopt", "multiline", "-in",
                         os.path.join(data, "dev-certs", "pass.pem")], capture_output=True, text=True).stdout
    check(seen and seen[0]["clientCertCN"] and seen[0]["clientCertCN"] in cn,
          "the pass certificate is presented (CN %s)" % (seen[0]["clientCertCN"] if seen else None))
    check("authorization" not in seen[0]["headers"], "no JWT with certificate auth")
    print("PASS")
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(work, ignore_errors=True)
