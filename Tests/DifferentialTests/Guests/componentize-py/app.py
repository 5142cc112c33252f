import socket
import sys

import wit_world
from componentize_py_types import Err
from wit_world import Color, Permissions, Point, Shape_Circle, Shape_Empty, Shape_Rectangle
from wit_world.imports import crypto, keystore
from wit_world.imports.crypto import DigestAlgorithm, HmacAlgorithm, SignAlgorithm


def error_of(call):
    try:
        call()
    except Err as e:
        return e.value
    return "no error"


class WitWorld(wit_world.WitWorld):
    def greet(self, name):
        return "Hello, " + name + "!"

    def add(self, a, b):
        return (a + b) & 0xFFFFFFFF

    def scalars(self, a, b, c, d, e, f, g):
        return (-a if a != -128 else a, (b * 2) & 0xFFFF, c // 3, d * 2.0, e / 7.0, chr(ord(f) + 1), not g)

    def move_point(self, p, dx):
        return Point(x=p.x + dx, y=-p.y, label=p.label.upper())

    def area(self, s):
        if isinstance(s, Shape_Circle):
            return 3.0 * s.value * s.value
        if isinstance(s, Shape_Rectangle):
            return s.value[0] * s.value[1]
        return 0.0

    def next_color(self, c):
        return Color((c.value + 1) % 3)

    def toggle(self, p):
        return ~p & (Permissions.READ | Permissions.WRITE | Permissions.EXECUTE)

    def find(self, items, needle):
        return items.index(needle) if needle in items else None

    def parse_int(self, s):
        try:
            value = int(s)
        except ValueError:
            raise Err("not a number: " + s)
        if not -(1 << 31) <= value < (1 << 31):
            raise Err("out of range")
        return value

    def reverse_bytes(self, b):
        return bytes(reversed(b))

    def sum_pairs(self, pairs):
        return [a + b for a, b in pairs]

    def try_connect(self):
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.connect(("127.0.0.1", 9))
            return "connected"
        except OSError as e:
            return "refused: " + type(e).__name__

    def stdout_is_terminal(self):
        return sys.stdout.isatty()

    def sdk_digests(self, data):
        return [crypto.digest(a, data) for a in (DigestAlgorithm.SHA256, DigestAlgorithm.SHA384, DigestAlgorithm.SHA512)]

    def sdk_sign(self, data):
        keystore.generate_signing_key("signer", SignAlgorithm.ECDSA_P256_SHA256)
        signature = crypto.sign("signer", SignAlgorithm.ECDSA_P256_SHA256, data)
        ok = crypto.verify("signer", SignAlgorithm.ECDSA_P256_SHA256, data, signature)
        tampered = crypto.verify("signer", SignAlgorithm.ECDSA_P256_SHA256, data + b"!", signature)
        return (keystore.export_public_key("signer"), signature, ok, tampered)

    def sdk_aes(self, key, iv, plaintext):
        keystore.import_symmetric_key("aes", key)
        sealed = crypto.encrypt("aes", iv, b"context", plaintext)
        opened = crypto.decrypt("aes", iv, b"context", sealed)
        flipped = bytes([sealed[0] ^ 1]) + sealed[1:]
        return (sealed, opened, error_of(lambda: crypto.decrypt("aes", iv, b"context", flipped)))

    def sdk_hmac(self, data):
        keystore.generate_hmac_key("mac", HmacAlgorithm.HMAC_SHA256)
        tag = crypto.hmac_sign("mac", HmacAlgorithm.HMAC_SHA256, data)
        return (len(tag), crypto.hmac_verify("mac", HmacAlgorithm.HMAC_SHA256, data, tag))

    def sdk_persist(self, name):
        keystore.generate_signing_key(name, SignAlgorithm.ECDSA_P384_SHA384)
        keystore.persist_key(name)
        return keystore.export_public_key(name)

    def sdk_load(self, name, data):
        held_before = keystore.key_exists(name)
        keystore.load_key(name)
        return (held_before, keystore.export_public_key(name), crypto.sign(name, SignAlgorithm.ECDSA_P384_SHA384, data))

    def sdk_errors(self):
        keystore.generate_symmetric_key("k")
        return [
            error_of(lambda: crypto.encrypt("missing", b"\0" * 12, b"", b"x")),
            error_of(lambda: keystore.generate_symmetric_key("k")),
            error_of(lambda: keystore.import_symmetric_key("short", b"\1" * 16)),
            error_of(lambda: crypto.encrypt("k", b"\0" * 8, b"", b"x")),
            error_of(lambda: crypto.sign("k", SignAlgorithm.ECDSA_P256_SHA256, b"x")),
            error_of(lambda: keystore.load_key("never-persisted")),
            error_of(lambda: keystore.delete_key("missing")),
            error_of(lambda: crypto.get_random_bytes(65537)),
        ]

    def sdk_random(self, n):
        return len(crypto.get_random_bytes(n))
