"""Password hashes: the production cost, a hash read back at the cost it names, and refusals."""
from __future__ import annotations

import pytest

from engine import passwords


def test_the_production_cost_is_scrypt_n_32768(monkeypatch):
    monkeypatch.setattr(passwords, "_N", 32768)  # the suite lowers it (tests/conftest.py); this is the module's value
    import importlib.util
    spec = importlib.util.find_spec("engine.passwords")
    source = spec.loader.get_source("engine.passwords")
    assert "_N, _R, _P = 32768, 8, 1" in source
    stored = passwords.hash_password("Strong-Passw0rd")
    assert stored.startswith("scrypt:32768:8:1$")
    assert passwords.verify_password(stored, "Strong-Passw0rd")
    assert not passwords.verify_password(stored, "strong-passw0rd")


def test_a_hash_is_checked_at_the_cost_it_names():
    cheap = passwords.hash_password("x-Passw0rd")
    assert cheap.startswith(f"scrypt:{passwords._N}:")
    assert passwords.verify_password(cheap, "x-Passw0rd")


@pytest.mark.parametrize("stored", [None, "", "md5$a$b", "scrypt:1:2$salt", "scrypt:a:b:c$salt$00", "plain"])
def test_malformed_hashes_never_match(stored):
    assert not passwords.verify_password(stored, "anything")


def test_an_empty_password_is_refused():
    with pytest.raises(ValueError):
        passwords.hash_password("")
    assert not passwords.verify_password(passwords.hash_password("a-Passw0rd"), "")
