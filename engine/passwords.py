"""Password hashing (scrypt, in the text format Werkzeug also reads), so accounts can be made without the web layer."""
from __future__ import annotations

import hashlib
import hmac
import secrets

_N, _R, _P = 32768, 8, 1


def hash_password(password: str) -> str:
    """A salted scrypt hash: `scrypt:N:r:p$salt$hexdigest`."""
    if not password:
        raise ValueError("a password must not be empty")
    salt = secrets.token_urlsafe(12)
    digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=_N, r=_R, p=_P, maxmem=132 * 1024 * 1024)
    return f"scrypt:{_N}:{_R}:{_P}${salt}${digest.hex()}"


def verify_password(stored: str | None, password: str) -> bool:
    """True when `password` matches the stored hash (constant-time comparison)."""
    if not stored or not password:
        return False
    try:
        method, salt, expected = stored.split("$", 2)
        name, n, r, p = method.split(":")
        if name != "scrypt":
            return False
        digest = hashlib.scrypt(password.encode(), salt=salt.encode(), n=int(n), r=int(r), p=int(p),
                                maxmem=132 * 1024 * 1024)
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), expected)


def new_password(length: int = 12) -> str:
    """A random password that is easy to type (no look-alike characters)."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))
