"""A real IMAP server for the mailbox tests: Debian's Dovecot (`bin/ensure-dovecot`, run by
`make test`, installs it), started as the tests' own process with a configuration written to a
temporary folder: a free port on 127.0.0.1, plaintext login allowed there, users in a
passwd-file, maildirs in the folder, no system service touched. Messages arrive by IMAP APPEND.

As root (CI), Dovecot refuses to run its login process or to store mail as root: both run as
`nobody`, which must reach the folder (so it is made under /tmp, not pytest's private one).
As anyone else, everything runs as that user.
"""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

DOVECOT = os.environ.get("DOVECOT", "/usr/sbin/dovecot")


class Dovecot:
    def __init__(self) -> None:
        if not os.access(DOVECOT, os.X_OK):
            pytest.fail(f"Dovecot is not installed at {DOVECOT}: run bin/ensure-dovecot")
        self.directory = Path(tempfile.mkdtemp(prefix="closer-dovecot-"))
        self.directory.chmod(0o755)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.passwords: dict[str, str] = {}
        self.process: subprocess.Popen | None = None
        if os.geteuid() == 0:
            mail_user = pwd.getpwnam("nobody")
            internal, internal_group, login = "root", "root", "nobody"
        else:
            mail_user = pwd.getpwuid(os.geteuid())
            internal = login = mail_user.pw_name
            internal_group = grp.getgrgid(mail_user.pw_gid).gr_name
        mail = self.directory / "mail"
        mail.mkdir()
        os.chown(mail, mail_user.pw_uid, mail_user.pw_gid)
        (self.directory / "passwd").write_text("")
        self.config = self.directory / "dovecot.conf"
        self.config.write_text(
            f"""
base_dir = {self.directory}/run
state_dir = {self.directory}/state
log_path = {self.directory}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
first_valid_uid = 1
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
mail_location = maildir:{mail}/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {self.directory}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={mail}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""
        )

    def start(self) -> None:
        shutil.rmtree(self.directory / "run", ignore_errors=True)
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 15
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as conn:
                    if conn.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"Dovecot did not start:\n{self.log()}")
            time.sleep(0.05)

    def halt(self) -> None:
        """The server goes down (its mail stays); start() brings it back on the same port."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.directory, ignore_errors=True)

    def log(self) -> str:
        path = self.directory / "dovecot.log"
        return path.read_text()[-3000:] if path.exists() else "(no log)"

    def set_password(self, user: str, password: str) -> None:
        """Adds the user, or changes their password (Dovecot reads the file again at once)."""
        self.passwords[user] = password
        lines = "".join(f"{name}:{{PLAIN}}{secret}\n" for name, secret in self.passwords.items())
        path = self.directory / "passwd"
        path.write_text(lines)
        # Dovecot reads the file again when its time (in seconds) changes, and looks at most
        # once a second: a new time, and a second for it to look again.
        self.writes = getattr(self, "writes", 0) + 1
        stamp = time.time() + self.writes
        os.utime(path, (stamp, stamp))
        if self.process is not None:
            time.sleep(1.1)

    def url(self, user: str, folder: str = "INBOX", **query: str) -> str:
        from urllib.parse import quote, urlencode

        tail = f"?{urlencode(query)}" if query else ""
        password = quote(self.passwords[user], safe="")
        return f"imap://{quote(user, safe='')}:{password}@127.0.0.1:{self.port}/{folder}{tail}"

    def client(self, user: str):
        from imapclient import IMAPClient

        client = IMAPClient("127.0.0.1", port=self.port, ssl=False, timeout=10)
        client.login(user, self.passwords[user])
        return client

    def deliver(self, user: str, *messages: bytes, folder: str = "INBOX") -> None:
        """Puts the messages in the user's folder, unread, as a mail server would."""
        client = self.client(user)
        try:
            for raw in messages:
                client.append(folder, raw)
        finally:
            client.logout()

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        client = self.client(user)
        try:
            client.select_folder(folder, readonly=True)
            return {
                uid: tuple(flag for flag in data[b"FLAGS"] if flag != b"\\Recent")
                for uid, data in client.fetch(client.search("ALL"), ["FLAGS"]).items()
            }
        finally:
            client.logout()
