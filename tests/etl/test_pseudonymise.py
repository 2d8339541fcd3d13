import hashlib
import hmac
import stat

import pandas as pd
import pytest

from daperf.config import REPO_ROOT
from etl.pseudonymise import KeyFileError, load_key, pseudonym, pseudonymise


def test_key_is_created_once_with_mode_0600_and_parent_folders(key_file):
    assert not key_file.parent.exists()
    key = load_key()
    assert len(key) == 32
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert load_key() == key  # read back, not made anew


def test_key_file_inside_the_repository_is_refused(monkeypatch):
    monkeypatch.setenv("DAPERF_KEY_FILE", str(REPO_ROOT / "data" / "pseudonymisation.key"))
    with pytest.raises(KeyFileError, match="inside the repository"):
        load_key()


def test_short_key_is_refused(key_file):
    key_file.parent.mkdir(parents=True)
    key_file.write_text("abcd\n")
    with pytest.raises(KeyFileError, match="shorter than 32 bytes"):
        load_key()


def test_pseudonym_is_hmac_sha256_hex_and_nulls_stay_null():
    key = bytes(range(32))
    ids = pd.Series(["NOM0001", None, "NOM0002", "NOM0001"], dtype="str")
    hashed = pseudonymise(ids, key)
    expected = hmac.new(key, b"NOM0001", hashlib.sha256).hexdigest()
    assert hashed[0] == expected == hashed[3] == pseudonym("NOM0001", key)
    assert pd.isna(hashed[1])
    assert hashed[2] != expected and len(hashed[2]) == 64
    # A different key gives a different pseudonym for the same person.
    assert pseudonymise(ids, bytes(32))[0] != expected
