#!/usr/bin/python3
"""A tiny SMTP server for the mail module's tests (Debian python3-aiosmtpd).

    smtp_sink.py PORT DIR USER PASSWORD [CERT KEY]

Listens on 127.0.0.1:PORT, requires AUTH (LOGIN or PLAIN) with USER/PASSWORD, and writes
every accepted message to DIR/msgN.eml (the DATA bytes as received) plus DIR/msgN.json
(envelope sender, recipients, authenticated user, whether AUTH and DATA ran inside TLS).
Without CERT/KEY it offers no TLS and allows AUTH in clear. With the PEM files CERT (server
certificate) and KEY it offers STARTTLS and requires it: nothing but EHLO/HELO, NOOP, RSET,
QUIT and STARTTLS before it, and AUTH only after it. DIR/ready appears once it accepts
connections. Stops on SIGTERM.
"""
import json
import logging
import os
import ssl
import signal
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

# The customary AUTH LOGIN prompts (Postfix, Exim, Mailgun): clients such as Poco's
# SMTPClientSession expect "Username:" / "Password:", not aiosmtpd's "User Name\0".
SMTP.AuthLoginUsernameChallenge = "Username:"
SMTP.AuthLoginPasswordChallenge = "Password:"


def main():
    # aiosmtpd logs a traceback for every refused TLS handshake, which the tests provoke.
    logging.getLogger("mail.log").setLevel(logging.CRITICAL)
    port, out_dir, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    tls = None
    if len(sys.argv) > 6:
        tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls.load_cert_chain(sys.argv[5], sys.argv[6])
    lock = threading.Lock()
    count = [0]
    auth_tls = {}  # id(session) -> whether TLS was on when AUTH succeeded

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user
              and auth_data.password.decode() == password)
        if ok:
            auth_tls[id(session)] = server._tls_protocol is not None
        return AuthResult(success=ok, handled=False, auth_data=auth_data)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            with lock:
                count[0] += 1
                n = count[0]
            base = os.path.join(out_dir, "msg%d" % n)
            login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
            with open(base + ".json.tmp", "w") as f:
                json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos, "auth_user": login,
                           "auth_tls": auth_tls.get(id(session)), "data_tls": session.ssl is not None}, f)
            with open(base + ".eml.tmp", "wb") as f:
                f.write(envelope.original_content)
            os.rename(base + ".json.tmp", base + ".json")
            os.rename(base + ".eml.tmp", base + ".eml")
            return "250 2.0.0 OK queued as sink-%d" % n

    if tls is None:
        controller = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=authenticator,
                                auth_required=True, auth_require_tls=False)
    else:
        controller = Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=authenticator,
                                auth_required=True, auth_require_tls=True, tls_context=tls, require_starttls=True)
    controller.start()
    open(os.path.join(out_dir, "ready"), "w").close()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
