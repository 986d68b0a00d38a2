#!/usr/bin/python3
"""A Macula peer in Python with nothing but a socket and msgpack, written from docs/wire-protocol.md and
docs/dht.md: it calls a .NET provider ("call") and serves a .NET client ("serve"). Used by WireContractTests."""
import datetime
import hashlib
import json
import os
import socket
import sys

import msgpack
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


class Nats:
    def __init__(self, url):
        host, port = url.replace("nats://", "").split(":")
        self.sock = socket.create_connection((host, int(port)), timeout=10)
        self.buf = b""
        info = self._line()
        assert info.startswith(b"INFO "), info
        connect = {"verbose": False, "pedantic": False, "headers": True, "no_responders": True, "lang": "python-raw", "version": "0"}
        self.sock.sendall(b"CONNECT " + json.dumps(connect).encode() + b"\r\nPING\r\n")
        while True:
            line = self._line()
            if line == b"PONG":
                break
            if line.startswith(b"-ERR"):
                raise RuntimeError(line)
        self.next_sid = 1

    def _fill(self):
        data = self.sock.recv(65536)
        if not data:
            raise EOFError("server closed the connection")
        self.buf += data

    def _line(self):
        while b"\r\n" not in self.buf:
            self._fill()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _take(self, n):
        while len(self.buf) < n + 2:
            self._fill()
        data, self.buf = self.buf[:n], self.buf[n + 2:]
        return data

    def sub(self, subject):
        sid = self.next_sid
        self.next_sid += 1
        self.sock.sendall(f"SUB {subject} {sid}\r\n".encode())
        return sid

    def hpub(self, subject, reply, headers, payload):
        head = b"NATS/1.0\r\n" + b"".join(f"{k}: {v}\r\n".encode() for k, v in headers.items()) + b"\r\n"
        reply_part = f" {reply}" if reply else ""
        self.sock.sendall(f"HPUB {subject}{reply_part} {len(head)} {len(head) + len(payload)}\r\n".encode() + head + payload + b"\r\n")

    def next_msg(self):
        """Returns (subject, reply, status_line, headers, payload); answers server PINGs on the way."""
        while True:
            line = self._line()
            if line == b"PING":
                self.sock.sendall(b"PONG\r\n")
                continue
            if line in (b"PONG", b"+OK"):
                continue
            parts = line.decode().split(" ")
            if parts[0] == "MSG":
                subject, reply, size = parts[1], (parts[3] if len(parts) == 5 else None), int(parts[-1])
                return subject, reply, "", {}, self._take(size)
            if parts[0] == "HMSG":
                subject, reply = parts[1], (parts[3] if len(parts) == 6 else None)
                hsize, total = int(parts[-2]), int(parts[-1])
                data = self._take(total)
                head, payload = data[:hsize].decode(), data[hsize:]
                lines = head.split("\r\n")
                headers = {}
                for h in lines[1:]:
                    if ":" in h:
                        k, v = h.split(":", 1)
                        headers[k.strip()] = v.strip()
                return subject, reply, lines[0], headers, payload
            raise RuntimeError(f"unexpected line {line!r}")

    def request(self, subject, headers, payload):
        inbox = "_INBOX.pyraw." + hashlib.sha256(subject.encode()).hexdigest()[:8] + str(self.next_sid)
        self.sub(inbox)
        self.hpub(subject, inbox, headers, payload)
        while True:
            msg = self.next_msg()
            if msg[0] == inbox:
                return msg


def ext_hook(code, data):
    return msgpack.ExtType(code, data) if code >= 0 else msgpack.Timestamp.from_bytes(data) if code == -1 else None


def call(url, realm, service, node, method, args):
    nats = Nats(url)
    subject = f"macula.{realm}.rpc.{service}.{node}"
    _, _, status_line, headers, payload = nats.request(subject, {"Macula-Method": method, "Macula-Call-Id": "py-call-1"}, msgpack.packb(args))
    status = headers.get("Macula-Status", "")
    body = msgpack.unpackb(payload, raw=False, ext_hook=ext_hook) if payload else None
    print(json.dumps({"nats_status": status_line, "status": status, "body": body}))


def signed_record(realm, key, node, subject, metadata, ttl_ms):
    """A provider record and its seal, signed as docs/security.md says: Ed25519 over the context and the canonical
    MessagePack of [realm, key, node_id, subject, metadata sorted by key, ttl_ms, advertised_at_ms]."""
    signer = Ed25519PrivateKey.generate()
    public_key = signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    now_ms = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
    canonical = msgpack.packb([realm, key, node, subject, dict(sorted(metadata.items())), ttl_ms, now_ms], use_bin_type=True)
    signature = signer.sign(b"macula/record/v1\0" + canonical)
    advertised = msgpack.Timestamp.from_unix_nano(now_ms * 1_000_000)
    return [node, subject, metadata, ttl_ms, advertised, [public_key, signature, None]]


def serve(url, realm, service, node, calls):
    nats = Nats(url)
    subject = f"macula.{realm}.rpc.{service}.{node}"
    nats.sub(subject)
    key = hashlib.sha256(("svc:" + service).encode()).digest()
    record = signed_record(realm, key, node, subject, {"lang": "python"}, 60_000)
    # Bootstrap: one DHT node answers FIND_NODE with the nodes it knows; store the record on all of them. This peer
    # never answers DHT requests, so it says it is a client (flags = 1) and nobody probes it.
    find = msgpack.packb([2, 2, node, os.urandom(16), 1, hashlib.sha256(node.encode()).digest()], use_bin_type=True)
    _, _, _, _, reply = nats.request(f"macula.{realm}.dht.bootstrap", {}, find)
    nodes_reply = msgpack.unpackb(reply, raw=False)
    assert nodes_reply[0] == 2 and nodes_reply[1] == 18, nodes_reply
    targets = [nodes_reply[2]] + list(nodes_reply[4])
    for target in targets:
        store = msgpack.packb([2, 4, node, os.urandom(16), 1, key, [record]], use_bin_type=True)
        _, _, _, _, stored = nats.request(f"macula.{realm}.dht.{target}", {}, store)
        stored_reply = msgpack.unpackb(stored, raw=False)
        assert stored_reply[1] == 20 and stored_reply[4] == 1, stored_reply
    print("READY " + ",".join(targets), flush=True)
    served = 0
    while served < calls:
        subj, reply, _, headers, payload = nats.next_msg()
        if subj != subject or reply is None:
            continue
        method = headers.get("Macula-Method")
        args = msgpack.unpackb(payload, raw=False)
        if method == "AddAsync":
            status, body = "ok", msgpack.packb(args[0] + args[1])
        elif method == "WhoAsync":
            status, body = "ok", msgpack.packb("python")
        else:
            status = "MethodNotFound"
            body = msgpack.packb({"code": status, "message": f"python has no method {method}", "type": None})
        nats.hpub(reply, None, {"Macula-Status": status}, body)
        served += 1
    print("SERVED", served, flush=True)


def sign(signer, context, fields):
    return signer.sign(context + msgpack.packb(fields, use_bin_type=True))


def seal(signer, signature):
    return [signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw), signature, None]


def attack(url, realm, service, victim):
    """Everything docs/security.md says an attacker on the bus may try, with the attacker's own key, from a raw
    socket. Prints, per attack, what the DHT nodes answered."""
    nats = Nats(url)
    me = Ed25519PrivateKey.generate()
    key = hashlib.sha256(("svc:" + service).encode()).digest()
    now_ms = int(datetime.datetime.now(datetime.timezone.utc).timestamp() * 1000)
    far = now_ms + 10 * 365 * 86400 * 1000
    find = msgpack.packb([2, 2, "attacker", os.urandom(16), 1, hashlib.sha256(b"attacker").digest()], use_bin_type=True)
    _, _, _, _, reply = nats.request(f"macula.{realm}.dht.bootstrap", {}, find)
    nodes_reply = msgpack.unpackb(reply, raw=False)
    targets = [nodes_reply[2]] + list(nodes_reply[4])

    def dht(target, op, *fields):
        body = msgpack.packb([2, op, "attacker", os.urandom(16), 1, *fields], use_bin_type=True)
        _, _, _, _, answer = nats.request(f"macula.{realm}.dht.{target}", {}, body)
        return msgpack.unpackb(answer, raw=False)

    def record(node, subject, at_ms):
        signature = sign(me, b"macula/record/v1\0", [realm, key, node, subject, {}, 300_000, at_ms])
        return [node, subject, {}, 300_000, msgpack.Timestamp.from_unix_nano(at_ms * 1_000_000), seal(me, signature)]

    result = {"targets": targets}
    hijack = [record(victim, "_INBOX.attacker", now_ms), record(victim, f"macula.{realm}.rpc.{service}.{victim}", far),
              record(victim, f"macula.{realm}.rpc.{service}.{victim}", now_ms + 5_000)]
    result["hijack_accepted"] = sum(dht(t, 4, key, hijack)[4] for t in targets)
    unsigned = [[victim, "_INBOX.attacker", {}, 300_000, msgpack.Timestamp.from_unix_nano(now_ms * 1_000_000)]]
    nats.sock.settimeout(2)
    try:
        dht(targets[0], 4, key, unsigned)
        result["unsigned_answered"] = True
    except socket.timeout:
        result["unsigned_answered"] = False
    nats.sock.settimeout(10)
    withdrawals = []
    for at_ms in (far, now_ms):
        signature = sign(me, b"macula/withdraw/v1\0", [realm, key, victim, at_ms])
        withdrawal = [victim, msgpack.Timestamp.from_unix_nano(at_ms * 1_000_000), seal(me, signature)]
        withdrawals.append(sum(1 for t in targets if dht(t, 5, key, withdrawal)[4]))
    result["withdrawals_removed"] = withdrawals
    signature = sign(me, b"macula/announce/v1\0", [realm, service, 2, victim, now_ms])
    nats.hpub(f"macula.{realm}.discovery.{service}", None, {}, msgpack.packb([2, victim, now_ms, seal(me, signature)], use_bin_type=True))
    nats.hpub(f"macula.{realm}.discovery.{service}", None, {}, msgpack.packb([2, victim], use_bin_type=True))
    for i in range(1000):
        body = msgpack.packb([2, 3, f"ghost-{i}", os.urandom(16), 0, key], use_bin_type=True)
        nats.hpub(f"macula.{realm}.dht.{targets[i % len(targets)]}", f"_INBOX.ghosts.{i}", {}, body)
    _, _, _, _, answer = nats.request(f"macula.{realm}.dht.{targets[0]}", {}, msgpack.packb([2, 2, "attacker", os.urandom(16), 1, hashlib.sha256(b"ghost-1").digest()], use_bin_type=True))
    result["ghosts_handed_out"] = [c for c in msgpack.unpackb(answer, raw=False)[4] if c.startswith("ghost-")]
    print(json.dumps(result))


if __name__ == "__main__":
    mode = sys.argv[1]
    if mode == "call":
        call(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6], json.loads(sys.argv[7]))
    elif mode == "attack":
        attack(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5])
    else:
        serve(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]))
