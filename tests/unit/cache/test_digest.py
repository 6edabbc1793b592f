"""The quick checks of bytes read again on warm runs (cache/digest.py) and the archives' keys remembered
under their stat (store.content_key), on real files."""

from __future__ import annotations

import json
import os
import random
from pathlib import Path

import pytest

from execlog_tui.cache import store as store_module
from execlog_tui.cache.digest import BLOCK, PrefixDigest, feed, file_checksum
from execlog_tui.cache.store import IDENT_KIND, CacheStore, content_key


def digest_of(data: bytes, pieces: list[int]) -> str:
    h = PrefixDigest()
    pos = 0
    for n in pieces:
        h.update(data[pos : pos + n])
        pos += n
    h.update(data[pos:])
    return h.hexdigest()


def test_the_digest_does_not_depend_on_how_the_bytes_are_fed() -> None:
    rng = random.Random(3)
    data = rng.randbytes(3 * BLOCK + 12345)
    whole = digest_of(data, [])
    for _ in range(5):
        pieces = [rng.choice((1, 7, 4096, BLOCK - 1, BLOCK, BLOCK + 1)) for _ in range(6)]
        assert digest_of(data, pieces) == whole
    h = PrefixDigest()
    h.update(data[: BLOCK + 5])
    later = h.copy()  # going on from a copy: as from the original
    later.update(data[BLOCK + 5 :])
    h.update(b"something else")
    assert later.hexdigest() == whole != h.hexdigest()


@pytest.mark.parametrize("where", [0, BLOCK - 1, BLOCK, 2 * BLOCK + 999, 3 * BLOCK + 12344])
def test_one_changed_byte_anywhere_changes_the_digest(where: int) -> None:
    data = bytearray(random.Random(4).randbytes(3 * BLOCK + 12345))
    before = digest_of(bytes(data), [])
    data[where] ^= 0x01
    assert digest_of(bytes(data), []) != before


def test_a_prefix_and_its_extension_differ() -> None:
    data = random.Random(5).randbytes(2 * BLOCK)
    assert digest_of(data[:BLOCK], []) != digest_of(data, []) != digest_of(data + b"\0", [])


def test_feed_reads_exactly_the_prefix(tmp_path: Path) -> None:
    data = random.Random(6).randbytes(2 * BLOCK + 77)
    f = tmp_path / "live.log"
    f.write_bytes(data)
    for size in (0, 1, BLOCK, len(data)):
        h = PrefixDigest()
        with open(f, "rb") as fh:
            assert feed(fh, h, size)
        assert h.hexdigest() == digest_of(data[:size], [])
    with open(f, "rb") as fh:
        assert not feed(fh, PrefixDigest(), len(data) + 1)  # the file ends first


def test_file_checksum_sees_truncation_and_a_flipped_bit(tmp_path: Path) -> None:
    f = tmp_path / "copy.parquet"
    data = bytearray(random.Random(7).randbytes(BLOCK + 100))
    f.write_bytes(data)
    size, crc = file_checksum(f) or (0, "")
    assert size == len(data) and len(crc) == 8
    f.write_bytes(data[:-1])
    assert file_checksum(f) != (size, crc)
    data[BLOCK + 3] ^= 0x10
    f.write_bytes(data)
    assert file_checksum(f) not in (None, (size, crc))
    assert file_checksum(tmp_path / "missing") is None


def idents(store_dir: Path) -> list[Path]:
    return sorted((store_dir / IDENT_KIND).rglob(f"*.{IDENT_KIND}"))


def test_an_archive_written_just_now_is_hashed_every_time(tmp_path: Path) -> None:
    """Its stat may not show a write in the same clock tick: not remembered until SETTLED_S passed."""
    a = tmp_path / "execution.log.1.gz"
    a.write_bytes(b"x" * 1000)
    store = CacheStore(tmp_path / "cache")
    assert content_key(a, "fp", store) is not None
    assert idents(store.dir) == []


def plant(store: CacheStore, memo: Path, **changes: object) -> None:
    """Rewrite the remembered item `memo` with some of its fields changed."""
    name = memo.name.split(".")[0]
    item = json.loads(store.load(IDENT_KIND, name) or b"{}")
    store.save(IDENT_KIND, name, json.dumps({**item, **changes}).encode())


def test_a_remembered_key_is_used_and_any_change_of_the_file_forgets_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "SETTLED_S", -1.0)
    a = tmp_path / "execution.log.1.gz"
    a.write_bytes(random.Random(8).randbytes(3 * store_module.SAMPLE))
    store = CacheStore(tmp_path / "cache")
    key = content_key(a, "fp", store)
    assert key is not None and key == content_key(a, "fp", None)
    [memo] = idents(store.dir)
    # The remembered key is what a second lookup returns: one planted in the item shows it is read.
    plant(store, memo, key="f" * 64)
    assert content_key(a, "fp", store) == ("f" * 64, key[1])
    assert content_key(a, "other fingerprint", store) != ("f" * 64, key[1])  # per fingerprint
    # The same stat but another sample (a file system without a real ctime, a file rewritten): hashed.
    plant(store, memo, key="f" * 64, sample="0" * 64)
    assert content_key(a, "fp", store) == key
    plant(store, memo, key="f" * 64)  # its sample right again: remembered
    assert content_key(a, "fp", store) == ("f" * 64, key[1])
    # Rewritten in place, same size, its mtime put back: the ctime moved, the file is hashed again.
    st = a.stat()
    with open(a, "r+b") as f:
        f.seek(store_module.SAMPLE + 10)  # in the middle: not in the sample
        f.write(b"CHANGED")
    os.utime(a, ns=(st.st_atime_ns, st.st_mtime_ns))
    again = content_key(a, "fp", store)
    assert again is not None and again[0] not in (key[0], "f" * 64)
    assert again[0] == content_key(a, "fp", None)[0]  # type: ignore[index]
    # Renamed (rotation): hashed again once, the same key as before the rename; still one item.
    b = tmp_path / "execution.log.2.gz"
    os.rename(a, b)
    assert content_key(b, "fp", store) == (again[0], b.stat())
    assert len([m for m in idents(store.dir)]) == 2  # this fingerprint's and the other's, one each
    # A remembered item that is not one is not used.
    for m in idents(store.dir):
        store.save(IDENT_KIND, m.name.split(".")[0], b"not an item")
    assert content_key(b, "fp", store) == (again[0], b.stat())
