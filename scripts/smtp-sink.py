#!/usr/bin/env python3
"""A throw-away SMTP server on loopback that stores the messages it receives, for the mail test.

    scripts/smtp-sink.py OUT_DIR [--messages N] [--timeout SECONDS]

Listens on 127.0.0.1 on a free port, prints the port on its first line of standard output, and
writes each message it accepts to OUT_DIR/message-<k>.eml (the DATA as sent, dot-unstuffed). It
stops by itself after N messages (default 1) or SECONDS without a connection (default 60), so a
test that fails half-way leaves nothing running. Standard library only; it speaks just enough SMTP
for a sendmail-compatible client (msmtp) to deliver: HELO/EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
"""
import argparse
import pathlib
import socket
import sys


def serve(connection, out, index):
    stream = connection.makefile("rwb")

    def reply(line):
        stream.write(line.encode() + b"\r\n")
        stream.flush()

    reply("220 localhost contactqa test sink")
    stored = False
    while True:
        line = stream.readline()
        if not line:
            return stored
        command = line.decode("utf-8", "replace").strip().upper()
        if command.startswith("EHLO"):
            stream.write(b"250-localhost\r\n250 8BITMIME\r\n")
            stream.flush()
        elif command.startswith(("HELO", "MAIL", "RCPT", "RSET", "NOOP")):
            reply("250 OK")
        elif command == "DATA":
            reply("354 end with <CRLF>.<CRLF>")
            data = bytearray()
            while True:
                chunk = stream.readline()
                if not chunk or chunk in (b".\r\n", b".\n"):
                    break
                data += chunk[1:] if chunk.startswith(b"..") else chunk
            (out / f"message-{index}.eml").write_bytes(bytes(data))
            stored = True
            reply("250 stored")
        elif command == "QUIT":
            reply("221 bye")
            return stored
        else:
            reply("502 not implemented")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--messages", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=60)
    args = parser.parse_args()
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", 0))
    server.listen(4)
    server.settimeout(args.timeout)
    print(server.getsockname()[1], flush=True)
    received = 0
    while received < args.messages:
        try:
            connection, _ = server.accept()
        except socket.timeout:
            print("smtp-sink: timed out", file=sys.stderr)
            return 1
        with connection:
            connection.settimeout(args.timeout)
            if serve(connection, out, received + 1):
                received += 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
