#!/usr/bin/env python3
"""A real SMTP server for mail tests (aiosmtpd, Debian's python3-aiosmtpd), on 127.0.0.1.

Listens on a free port and writes it to --ready-file (atomically). Each message received is
saved in --dir as msg-N.eml (exactly the DATA bytes, dot-unstuffed; no Received header is
added) with msg-N.json beside it: the envelope, the connection it came on, and the message as
Python's `email` package (policy.default) parses it: headers decoded, every part's type,
file name and SHA-256 of its decoded payload, the text of text parts, and every defect found.
--dir/connections holds the number of connections accepted so far (STARTTLS is not counted
as a new one). Exits when its stdin closes (so a test that dies never leaves it behind).

Options:
  --starttls CERT KEY         offer STARTTLS with this certificate
  --implicit-tls CERT KEY     TLS from the first byte (smtps)
  --auth USER:PASSWORD        offer AUTH PLAIN/LOGIN, accepting only these credentials
  --auth-require-tls          advertise AUTH only after STARTTLS (aiosmtpd's default);
                              without it AUTH is offered in clear too
  --rcpt-reply ADDRESS=CODE   answer RCPT TO:<ADDRESS> with CODE (e.g. 451, 550)
  --port N                    listen on N (a server that comes up late at a known address)
  --discard                   accept every message and keep none (benchmarks: nothing is
                              parsed or written; --dir/messages holds the count at exit)
"""
import argparse
import asyncio
import email
import email.policy
import hashlib
import json
import logging
import os
import ssl
import sys
import threading
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

REPLY_TEXT = {4: "4.7.1 Try again later", 5: "5.1.1 No such user here"}


def write_atomically(path, data):
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def describe(data):
    """The message as the email package parses it, for the test to check."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    defects = [repr(d) for d in msg.defects]
    headers = {}
    for name in ("From", "Reply-To", "To", "Subject", "Date", "Message-ID",
                 "List-Unsubscribe", "MIME-Version"):
        value = msg.get(name)
        if value is None:
            continue
        defects += [f"{name}: {d!r}" for d in getattr(value, "defects", ())]
        headers[name] = str(value)
    mailboxes = {}
    for name in ("From", "Reply-To", "To"):
        value = msg.get(name)
        if value is not None:
            a = value.addresses[0]
            mailboxes[name] = {"name": a.display_name, "address": a.addr_spec}
    parts = []
    for part in msg.walk():
        defects += [repr(d) for d in part.defects]
        entry = {"type": part.get_content_type()}
        if not part.is_multipart():
            payload = part.get_payload(decode=True) or b""
            entry["sha256"] = hashlib.sha256(payload).hexdigest()
            entry["filename"] = part.get_filename()
            if part.get_content_maintype() == "text":
                entry["charset"] = part.get_content_charset()
                entry["text"] = part.get_content()
        parts.append(entry)
    return {"headers": headers, "mailboxes": mailboxes, "parts": parts, "defects": defects}


class Recorder:
    """The aiosmtpd handler: scripted RCPT replies, messages saved to a directory."""

    def __init__(self, directory, rcpt_replies, discard):
        self.directory = directory
        self.rcpt_replies = rcpt_replies
        self.discard = discard
        self.connections = 0
        self.messages = 0

    def connected(self):
        self.connections += 1
        write_atomically(os.path.join(self.directory, "connections"),
                         str(self.connections).encode())
        return self.connections

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        code = self.rcpt_replies.get(address.lower())
        if code is not None:
            return f"{code} {REPLY_TEXT[code // 100]}"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages += 1
        n = self.messages
        if self.discard:
            return f"250 2.0.0 Ok: queued as M{n}"
        data = envelope.original_content
        record = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                  "connection": session.connection_number,
                  "authenticated": bool(session.authenticated),
                  "tls": server.transport.get_extra_info("ssl_object") is not None}
        try:
            record["parsed"] = describe(data)
        except Exception as e:  # a test reads this as a failure to parse
            record["parse_error"] = repr(e)
        base = os.path.join(self.directory, f"msg-{n}")
        write_atomically(base + ".eml", data)
        write_atomically(base + ".json", json.dumps(record, indent=1).encode())
        return f"250 2.0.0 Ok: queued as M{n}"


class CountingSMTP(SMTP):
    def __init__(self, recorder, **kwargs):
        super().__init__(recorder, **kwargs)
        self.recorder = recorder
        self.connection_number = 0

    def connection_made(self, transport):
        fresh = self._original_transport is None  # STARTTLS calls this again
        if fresh:
            self.connection_number = self.recorder.connected()
        super().connection_made(transport)
        self.session.connection_number = self.connection_number


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        # handled=False: aiosmtpd answers 535 itself (the default means "answered already").
        return AuthResult(success=ok, handled=False, auth_data=auth_data)
    return check


def tls_context(cert, key):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dir", required=True)
    p.add_argument("--ready-file", required=True)
    p.add_argument("--port", type=int, default=0, help="listen here (default: a free port)")
    p.add_argument("--starttls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--implicit-tls", nargs=2, metavar=("CERT", "KEY"))
    p.add_argument("--auth", metavar="USER:PASSWORD")
    p.add_argument("--auth-require-tls", action="store_true")
    p.add_argument("--rcpt-reply", action="append", default=[], metavar="ADDRESS=CODE")
    p.add_argument("--discard", action="store_true")
    return p.parse_args()


async def serve(args):
    replies = {}
    for item in args.rcpt_reply:
        address, code = item.rsplit("=", 1)
        replies[address.lower()] = int(code)
    recorder = Recorder(args.dir, replies, args.discard)
    kwargs = {"hostname": "smtp.test", "auth_require_tls": args.auth_require_tls}
    if args.starttls:
        kwargs["tls_context"] = tls_context(*args.starttls)
    if args.auth:
        user, password = args.auth.split(":", 1)
        kwargs["authenticator"] = authenticator(user, password)
    loop = asyncio.get_running_loop()
    server = await loop.create_server(
        lambda: CountingSMTP(recorder, loop=loop, **kwargs), "127.0.0.1", args.port,
        ssl=tls_context(*args.implicit_tls) if args.implicit_tls else None)
    port = server.sockets[0].getsockname()[1]
    write_atomically(args.ready_file, str(port).encode())
    stdin_closed = asyncio.Event()
    threading.Thread(target=lambda: (sys.stdin.buffer.read(),
                                     loop.call_soon_threadsafe(stdin_closed.set)),
                     daemon=True).start()
    await stdin_closed.wait()
    server.close()
    write_atomically(os.path.join(args.dir, "messages"), str(recorder.messages).encode())


def main():
    warnings.simplefilter("ignore", DeprecationWarning)  # aiosmtpd 1.4 on its own login_data
    # Failed TLS handshakes are expected in some cases; aiosmtpd would log their tracebacks.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    args = parse_args()
    os.makedirs(args.dir, exist_ok=True)
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
