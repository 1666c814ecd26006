#!/usr/bin/env python3
"""End-to-end test of e-mail (docs/EMAIL.md): `passledger mail send|dispatch|preview` and the
download link against a real SMTP server (tests/testing/smtp_server.py on Debian's
python3-aiosmtpd, 127.0.0.1) and `passledger serve`.

Covered: a requested e-mail arrives once, with its MIME structure and headers as specified and
each attachment a pass of the member; the link in the body serves the same pass as
application/vnd.apple.pkpass and an altered link is 404; a name with <script> & "quotes"
arrives escaped in HTML and intact in text; an address list and a line break in the roster's
address are refused and no message is sent (the same check first sees a message it would
count); 550 fails at once and is visible on the pass; the server down -> retried and delivered
once after it starts; bulk asks only for never-e-mailed active members with an address; the
.eml development default writes files Python's email package opens; `mail preview` prints the
message as it is sent; SIGKILL of `serve` during a bulk send, restart -> every member has its
message, at most the one in flight twice (the count is printed). Python stdlib only.

Usage: mail_test.py PASSLEDGER_BINARY SOURCE_DIR
"""
import email
import email.policy
import glob
import hashlib
import http.client
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile

BIN, SRC = sys.argv[1], sys.argv[2]
work = tempfile.mkdtemp(prefix="passledger-mail-test.")
procs = []
FAMILY, NUNEZ, REYES, NO_EMAIL = "8-10000001", "8-10000005", "8-10000002", "8-10000006"


def fail(message):
    print("FAIL: " + message)
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


def wait_for(predicate, what, seconds=30):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    fail("timed out waiting for " + what)


def smtp_server(name, port=None, extra=()):
    """Starts a real SMTP server; returns (its message dir, its port, the process)."""
    directory = os.path.join(work, name)
    os.makedirs(directory, exist_ok=True)
    ready = os.path.join(work, name + ".port")
    # Debian's python3 (python3-aiosmtpd); a python3 earlier on PATH may lack the package.
    args = ["/usr/bin/python3", os.path.join(SRC, "tests/testing/smtp_server.py"), "--dir", directory,
            "--ready-file", ready] + list(extra)
    if port:
        args += ["--port", str(port)]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE)
    procs.append(proc)
    wait_for(lambda: os.path.exists(ready) or proc.poll() is not None, "the SMTP server " + name)
    if proc.poll() is not None:
        fail("the SMTP server %s exited" % name)
    return directory, int(open(ready).read()), proc


def received(directory):
    return [json.load(open(p)) for p in sorted(glob.glob(os.path.join(directory, "msg-*.json")),
                                               key=lambda p: int(re.search(r"(\d+)", os.path.basename(p)).group(1)))]


def write_config(name, mail_lines, port):
    path = os.path.join(work, name + ".toml")
    with open(path, "w") as f:
        f.write("[server]\nlisten = \"127.0.0.1:%d\"\n\n[mail]\n" % port)
        f.write('from = "members@garden.example"\n')
        for line in mail_lines:
            f.write(line + "\n")
    return path


def passledger(data, config, *args, check_status=True):
    result = subprocess.run([BIN, "--data", data, "--config", config] + list(args),
                            capture_output=True, text=True)
    if check_status and result.returncode != 0:
        fail("passledger %s: exit %d: %s%s" % (" ".join(args), result.returncode, result.stdout,
                                               result.stderr))
    return result


def roster(replacements=()):
    text = open(os.path.join(SRC, "tests/data/altru-roster.csv"), encoding="utf-8-sig").read()
    for old, new in replacements:
        if old not in text:
            fail("the sample roster has no %r" % old)
        text = text.replace(old, new)
    path = os.path.join(work, "roster-%d.csv" % len(glob.glob(os.path.join(work, "roster-*.csv"))))
    open(path, "w", encoding="utf-8").write(text)
    return path


def new_data(name, config, replacements=()):
    data = os.path.join(work, name)
    passledger(data, config, "import", roster(replacements))
    return data


def serials_of(data, config, member):
    out = passledger(data, config, "state", "member", member).stdout
    return sorted(json.loads(out)["member"]["serials"])


def pass_state(data, config, serial):
    out = passledger(data, config, "state", "pass", serial).stdout
    return json.loads(out)["passes"][0]


def message_bytes(directory, n):
    return open(os.path.join(directory, "msg-%d.eml" % n), "rb").read()


def attachments(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = []
    for part in msg.iter_attachments():
        out.append((part.get_content_type(), part.get_filename(), part.get_payload(decode=True)))
    return msg, out


def body_parts(raw):
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    return text, html


try:
    smtp_dir, smtp_port, _ = smtp_server("smtp", extra=["--rcpt-reply", "m.reyes@example.net=550"])
    http_port = free_port()
    config = write_config("smtp", ['smtp_url = "smtp://127.0.0.1:%d"' % smtp_port, 'tls = "none"',
                                   'retry_minutes = "0"', "max_attempts = 3"], http_port)
    hostile = '<script>alert(1)</script> & "Co"'
    data = new_data("data", config, [(",José Núñez,", ',"%s",' % hostile.replace('"', '""')),
                                     (",José,", ',"%s",' % hostile.replace('"', '""'))])

    # One member: requested, dispatched, arrives once.
    out = passledger(data, config, "mail", "send", "--member", FAMILY).stdout
    check("e-mail requested for 2 pass(es)" in out, "mail send --member: %s" % out.strip())
    preview = subprocess.run([BIN, "--data", data, "--config", config, "mail", "preview", "--member",
                              FAMILY], capture_output=True, check=True).stdout  # bytes: CRLF kept
    out = passledger(data, config, "mail", "dispatch").stdout
    check("1 message(s) sent (2 pass(es))" in out, "mail dispatch: %s" % out.strip())
    messages = received(smtp_dir)
    check(len(messages) == 1, "the message arrived once")
    m = messages[0]
    raw = message_bytes(smtp_dir, 1)
    check(m["rcpt_tos"] == ["avery.quill@example.org"], "to the member's address")
    check("parsed" in m and not m["parsed"]["defects"],
          "Python's email parser finds no defect: %s" % m.get("parsed", m).get("defects", m))
    msg, files = attachments(raw)
    check(msg.get_content_type() == "multipart/mixed", "multipart/mixed")
    check(msg.get_payload()[0].get_content_type() == "multipart/alternative",
          "first part multipart/alternative")
    alt = [p.get_content_type() for p in msg.get_payload()[0].get_payload()]
    check(alt == ["text/plain", "text/html"], "text then HTML: %s" % alt)
    check(msg["To"].addresses[0].addr_spec == "avery.quill@example.org", "To header")
    check(msg["From"].addresses[0].addr_spec == "members@garden.example", "From header")
    check(msg["Message-ID"].startswith("<passledger-") and msg["Message-ID"].endswith("@garden.example>"),
          "Message-ID from the request's position: %s" % msg["Message-ID"])
    check(msg["Date"] is not None and msg["Subject"], "Date and Subject")
    family = serials_of(data, config, FAMILY)
    got = []
    for ctype, name, payload in files:
        check(ctype == "application/vnd.apple.pkpass", "attachment type %s" % ctype)
        check(name.endswith(".pkpass") and "-" in name, "attachment name %s" % name)
        got.append(json.loads(zipfile.ZipFile(io.BytesIO(payload)).read("pass.json"))["serialNumber"])
        path = os.path.join(work, name)
        open(path, "wb").write(payload)
        inspect = passledger(data, config, "pass", "inspect", path, "--ca",
                             os.path.join(data, "dev-certs", "root-ca.pem"), check_status=False)
        check(inspect.returncode == 0, "attachment %s: its signature verifies: %s" %
              (name, (inspect.stdout + inspect.stderr).strip()[-200:]))
    check(sorted(got) == family, "the attachments are the member's passes %s" % family)
    def essence(data):
        """Everything but the Date and the passes' CMS signatures (their signing time is the
        second each process signed them in)."""
        parsed = email.message_from_bytes(data, policy=email.policy.default)
        headers = [(k, str(v)) for k, v in parsed.items() if k not in ("Date", "Content-Type")]
        text, html = body_parts(data)
        passes = []
        for ctype, name, payload in attachments(data)[1]:
            z = zipfile.ZipFile(io.BytesIO(payload))
            passes.append((ctype, name, z.read("pass.json"), z.read("manifest.json")))
        return headers, text, html, passes
    check(essence(raw) == essence(preview),
          "mail preview printed the message as it was sent (but for its Date and signing times)")

    # The escaped name.
    passledger(data, config, "mail", "send", "--member", NUNEZ)
    passledger(data, config, "mail", "dispatch")
    text, html = body_parts(message_bytes(smtp_dir, 2))
    check("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;" in html and "<script>" not in html,
          "the name is escaped in HTML")
    check(hostile in text, "and intact in text")

    # 550 fails at once and is visible on the pass.
    passledger(data, config, "mail", "send", "--member", REYES)
    out = passledger(data, config, "mail", "dispatch", check_status=False)
    check(out.returncode != 0 and "1 failed" in out.stdout, "550: failed at once: %s" % out.stdout.strip())
    state = pass_state(data, config, serials_of(data, config, REYES)[0])
    check(state["email"]["status"] == "failed" and "550" in state["email"]["error"],
          "the failure is on the pass: %s" % state["email"])

    # The download link: served by `passledger serve`, an altered one is 404.
    link = re.search(r"https?://\S+/p/\S+", body_parts(raw)[0]).group(0)
    server = subprocess.Popen([BIN, "--data", data, "--config", config, "serve"],
                              stdout=open(os.path.join(work, "serve.out"), "w"),
                              stderr=open(os.path.join(work, "serve.err"), "w"))
    procs.append(server)

    def get(path, accept="application/vnd.apple.pkpass"):
        conn = http.client.HTTPConnection("127.0.0.1", http_port, timeout=10)
        conn.request("GET", path, headers={"Accept": accept})
        r = conn.getresponse()
        return r.status, r.getheader("Content-Type"), r.read()

    def up():
        try:
            return get("/healthz")[0] == 200
        except OSError:
            return False

    wait_for(up, "the server")
    path = link[link.index("/p/"):]
    status, ctype, body = get(path)
    check(status == 200 and ctype == "application/vnd.apple.pkpass", "the link serves the pass (%d %s)" % (status, ctype))
    serial = json.loads(zipfile.ZipFile(io.BytesIO(body)).read("pass.json"))["serialNumber"]
    check(serial in family, "the same pass as attached")
    altered = path[:-1] + ("A" if path[-1] != "A" else "B")
    check(get(altered)[0] == 404, "an altered link is 404")
    server.terminate()
    server.wait(timeout=30)

    # Refused addresses: nothing is sent anywhere.
    before = len(received(smtp_dir))
    check(before == 2, "the check below counts the %d messages so far" % before)
    listed = new_data("listed", config, [(",m.reyes@example.net,", ',"m.reyes@example.net, eve@evil.example",'),
                                         (",avery.quill@example.org,", ',"avery.quill@example.org\r\nBcc: eve@evil.example",')])
    for member in (REYES, FAMILY):
        r = passledger(listed, config, "mail", "send", "--member", member, check_status=False)
        check(r.returncode == 2 and "no usable e-mail address" in r.stderr,
              "member %s refused: %s" % (member, r.stderr.strip()))
    passledger(listed, config, "mail", "dispatch")
    check(len(received(smtp_dir)) == before, "and no message was sent")

    # Bulk: only never-e-mailed active members with an address.
    out = passledger(data, config, "mail", "send", "--never-sent").stdout
    check("e-mail requested for 1 member(s)" in out and "1 active member(s) skipped" in out,
          "bulk asks for the one member left (8-10000004) and skips the one without e-mail: %s" % out.strip())

    # The server down: retried, delivered once after it starts.
    down_port = free_port()
    down_config = write_config("down", ['smtp_url = "smtp://127.0.0.1:%d"' % down_port, 'tls = "none"',
                                        'retry_minutes = "0"', "max_attempts = 5"], free_port())
    down = new_data("down", down_config)
    passledger(down, down_config, "mail", "send", "--member", FAMILY)
    out = passledger(down, down_config, "mail", "dispatch").stdout
    check("1 to be retried" in out, "server down: to be retried: %s" % out.strip().splitlines()[-1])
    late_dir, _, _ = smtp_server("late", port=down_port)
    out = passledger(down, down_config, "mail", "dispatch").stdout
    check("1 message(s) sent" in out and len(received(late_dir)) == 1,
          "delivered once after the server started")

    # The development default: .eml files in data/outbox that the email package opens.
    eml_config = write_config("eml", [], free_port())
    eml = new_data("eml", eml_config)
    passledger(eml, eml_config, "mail", "send", "--member", FAMILY)
    out = passledger(eml, eml_config, "mail", "dispatch").stdout
    files = glob.glob(os.path.join(eml, "outbox", "*.eml"))
    check(len(files) == 1 and "written to" in out, "one .eml in data/outbox")
    check(oct(os.stat(files[0]).st_mode & 0o777) == "0o600", "private")
    parsed, parts = attachments(open(files[0], "rb").read())
    check(not parsed.defects and len(parts) == 2, "it parses, with both passes attached")
    # SIGKILL during a bulk send of 500 memberships, restart: every member has its message;
    # a duplicate is possible only for the message the SMTP server took just before the kill.
    bulk_dir, bulk_port, _ = smtp_server("bulk")
    bulk_http = free_port()
    bulk_config = write_config("bulk", ['smtp_url = "smtp://127.0.0.1:%d"' % bulk_port, 'tls = "none"',
                                        "rate_per_minute = 3000"], bulk_http)
    bulk = os.path.join(work, "bulk-data")
    passledger(bulk, bulk_config, "gen-roster", "500", "--out", os.path.join(work, "bulk.csv"))
    passledger(bulk, bulk_config, "import", os.path.join(work, "bulk.csv"))
    out = passledger(bulk, bulk_config, "mail", "send", "--never-sent").stdout
    queued = int(re.search(r"e-mail requested for (\d+) member", out).group(1))
    check(queued > 200, "bulk of the generated roster: %d members asked for" % queued)

    def serve_bulk():
        p = subprocess.Popen([BIN, "--data", bulk, "--config", bulk_config, "serve"],
                             stdout=subprocess.DEVNULL, stderr=open(os.path.join(work, "bulk.err"), "a"))
        procs.append(p)
        return p

    def ids():
        return [m["parsed"]["headers"]["Message-ID"] for m in received(bulk_dir)]

    server = serve_bulk()
    wait_for(lambda: len(ids()) >= 100, "100 messages of the bulk", 120)
    server.kill()
    server.wait()
    before_kill = len(ids())
    server = serve_bulk()
    wait_for(lambda: len(set(ids())) >= queued, "every member's message after the restart", 240)
    server.terminate()
    server.wait(timeout=30)
    total, unique = len(ids()), len(set(ids()))
    check(unique == queued, "every one of %d members got its message" % queued)
    check(total - unique <= 1, "at most the message in flight at the kill was sent twice")
    print("     SIGKILL bulk: %d messages before the kill, %d in all for %d members = %d duplicate(s)"
          % (before_kill, total, queued, total - unique))
    print("PASS")
finally:
    for p in procs:
        if p.poll() is None:
            p.kill()
            p.wait()
    shutil.rmtree(work, ignore_errors=True)
