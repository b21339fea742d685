"""Human-friendly customer codes, unique across counters without asking a server.

A code is ``<NODE>-<SEQ>``: NODE is the four-character tag this counter drew at
random when its database was created (Crockford base32, no I/L/O/U, so it is
unambiguous when read aloud or typed), SEQ a counter-local sequence. Two
counters registering offline at the same moment produce different codes
because their tags differ; the sync engine refuses a second counter with an
already-registered tag when it first connects.
"""

from __future__ import annotations

import re
import secrets

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
NODE_LENGTH = 4
_CODE = re.compile(rf"^[{ALPHABET}]{{{NODE_LENGTH}}}-\d{{4,}}$")


def new_node_tag() -> str:
    # The first character is a letter, so a tag is never mistaken for digits.
    first = secrets.choice(ALPHABET[10:])
    return first + "".join(secrets.choice(ALPHABET) for _ in range(NODE_LENGTH - 1))


def customer_code(node_tag: str, sequence: int) -> str:
    return f"{node_tag}-{sequence:04d}"


def looks_like_code(text: str) -> bool:
    return bool(_CODE.match(normalize_code(text)))


def normalize_code(text: str) -> str:
    """Upper-case, and read the look-alike letters I/L as 1 and O as 0."""
    return text.strip().upper().translate(str.maketrans("ILO", "110"))
