"""Bitstring Status List v1.0: one bit per credential, set when its certificate is revoked
or replaced.

Each credential gets a random free index on a list of LIST_SIZE bits (the specification's
minimum, 16 KiB, for herd privacy); a list that is half full is closed and the next one
opened. The bits are not stored: the list is built from the certificates' own state each time
it is asked for, so revoking or reissuing a certificate shows on the list at once.
"""

import base64
import gzip
import secrets

import sqlalchemy as sa
from sqlmodel import Session, select

from navigator.certification.models import BadgeCredential, Certificate

LIST_SIZE = 131_072  # bits
FILL = LIST_SIZE // 2  # open a new list past this many entries: random picks stay cheap
PURPOSE = "revocation"


def list_url(base_url: str, programme_id: int, number: int) -> str:
    return f"{base_url.rstrip('/')}/badges/status/{programme_id}/{number}"


def allocate(s: Session, programme_id: int) -> tuple[int, int]:
    """(list, index) for a new credential of a programme: a random free index on an open list.

    Each programme, the issuer of its certificates, publishes its own lists.
    """
    mine = BadgeCredential.programme_id == programme_id
    number = s.exec(select(sa.func.max(BadgeCredential.status_list)).where(mine)).one() or 1
    used = s.exec(select(sa.func.count()).select_from(BadgeCredential).where(
        mine, BadgeCredential.status_list == number)).one()
    if used >= FILL:
        number += 1
    while True:
        index = secrets.randbelow(LIST_SIZE)
        taken = s.exec(select(BadgeCredential.id).where(
            mine, BadgeCredential.status_list == number,
            BadgeCredential.status_index == index)).first()
        if taken is None:
            return number, index


def entry(base_url: str, programme_id: int, number: int, index: int) -> dict:
    """The credentialStatus of a credential at that place."""
    url = list_url(base_url, programme_id, number)
    return {"id": f"{url}#{index}", "type": "BitstringStatusListEntry",
            "statusPurpose": PURPOSE, "statusListIndex": str(index),
            "statusListCredential": url}


def set_bits(s: Session, programme_id: int, number: int) -> list[int]:
    """The indexes on a list whose certificate is revoked or replaced."""
    return list(s.exec(select(BadgeCredential.status_index)
                       .join(Certificate, Certificate.id == BadgeCredential.certificate_id)
                       .where(BadgeCredential.programme_id == programme_id,
                              BadgeCredential.status_list == number,
                              sa.or_(Certificate.revoked_at.is_not(None),
                                     Certificate.superseded_at.is_not(None)))).all())


def encode(indexes: list[int], size: int = LIST_SIZE) -> str:
    """The encodedList: multibase ("u") base64url, no padding, of the GZIP-compressed bits.

    Bit 0 is the most significant bit of the first byte.
    """
    bits = bytearray(size // 8)
    for i in indexes:
        bits[i // 8] |= 0x80 >> (i % 8)
    packed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(packed).decode().rstrip("=")


def decode(encoded: str) -> bytes:
    """The bits of an encodedList (for verifiers and tests)."""
    if not encoded.startswith("u"):
        raise ValueError("not a multibase base64url value")
    raw = encoded[1:]
    return gzip.decompress(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))


def bit(bits: bytes, index: int) -> int:
    return (bits[index // 8] >> (7 - index % 8)) & 1
