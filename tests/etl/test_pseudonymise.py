import hashlib
import hmac
import stat

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from daperf.config import REPO_ROOT
from etl.pseudonymise import KeyFileError, load_key, pseudonym, pseudonym_parameters, pseudonym_sql


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


def _in_sql(ids: list[str | None], key: bytes) -> list[str | None]:
    con = duckdb.connect()
    try:
        query = f"SELECT {pseudonym_sql('id')} FROM unnest($ids) WITH ORDINALITY AS t(id, n) ORDER BY n"
        return [row[0] for row in con.execute(query, {"ids": ids} | pseudonym_parameters(key)).fetchall()]
    finally:
        con.close()


def test_pseudonym_is_hmac_sha256_hex_and_nulls_stay_null():
    key = bytes(range(32))
    hashed = _in_sql(["NOM0001", None, "NOM0002", "NOM0001"], key)
    expected = hmac.new(key, b"NOM0001", hashlib.sha256).hexdigest()
    assert hashed[0] == expected == hashed[3] == pseudonym("NOM0001", key)
    assert hashed[1] is None
    assert hashed[2] != expected and len(hashed[2]) == 64
    # A different key gives a different pseudonym for the same person.
    assert _in_sql(["NOM0001"], bytes(32))[0] != expected


@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=20),
       st.binary(min_size=32, max_size=100))
@settings(max_examples=50, deadline=None)
def test_the_database_computes_the_same_pseudonyms_as_python(ids, key):
    # Any text (accents, emoji) and any key length, including keys longer than SHA-256's block.
    assert _in_sql(ids, key) == [pseudonym(value, key) for value in ids]
