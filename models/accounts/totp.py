"""Time-based one-time passwords (RFC 6238) with pyotp, and the enrolment QR code with segno."""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno

ISSUER = "jikoflow"
DRIFT_STEPS = 1  # accept the previous and the next 30-second code: phones' clocks drift


def new_secret() -> str:
    """A new base32 secret (160 bits)."""
    return pyotp.random_base32()


def provisioning_uri(secret: str, person_id: str) -> str:
    """The `otpauth://` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=person_id, issuer_name=ISSUER)


def qr_svg(uri: str, title: str) -> str:
    """The QR code of `uri` as an inline SVG element (no script, no style attribute)."""
    return str(segno.make(uri, error="m").svg_inline(scale=5, light="#fff", title=title))


def matching_step(secret: str, code: str, now: datetime, after: int | None) -> int | None:
    """The time step `code` is valid for at `now`, if any and later than step `after`."""
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        if after is not None and step <= after:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def code_at(secret: str, now: datetime) -> str:
    """The code an authenticator shows at `now` (for tests and the demo)."""
    return pyotp.TOTP(secret).at(now)
