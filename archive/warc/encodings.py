"""HTTP content codings (RFC 9110 §8.4): decode a body as the web sends it, bounded in size.

One decoder for the crawl (``crawler.middlewares.contentcoding.ContentDecodingMiddleware``) and for
reading an archive back (:mod:`archive.warc.http`): ``gzip``/``x-gzip``, ``deflate`` (zlib-wrapped,
or raw as some servers send it), ``br``, ``zstd`` and ``identity``, in any letter case, stacked
(``Content-Encoding: gzip, br`` is undone right to left).

Which codings this process can decode is checked once, by decoding a known sample through the
module's real API (:func:`available`): a crawler advertises in ``Accept-Encoding`` only what it
can read back. Brotli is decoded with ``brotlicffi``, whose module name nothing else installs:
pywb depends on ``brotlipy``, which installs a ``brotli`` package with an older API over the
``brotli`` module (``Decompressor.process``) that Scrapy's own decoder calls; whichever of the two
wins the import, ``brotlicffi`` is the same. Google's ``brotli`` is used when brotlicffi is
missing and the module really has the streaming API.

Every decoder stops once ``max_size`` decoded bytes are exceeded (a compression bomb costs at most
``max_size`` plus one 64 KiB step of memory); ``max_size=0`` means no limit.
"""

from __future__ import annotations

import functools
import importlib
import zlib
from collections.abc import Callable, Iterable
from typing import Any

from archive.errors import ContentDecodingError, DecodedTooLarge

STEP = 65536  # decoded bytes produced per step

Decoder = Callable[[bytes, int], bytes]


def split_codings(values: Iterable[str | bytes] | str | bytes | None) -> list[str]:
    """``"GZIP, br"`` or ``[b"gzip", b"br"]`` → ``["gzip", "br"]`` in the order applied."""
    if values is None:
        return []
    if isinstance(values, str | bytes):
        values = [values]
    out: list[str] = []
    for value in values:
        text = value.decode("latin-1") if isinstance(value, bytes) else value
        out += [c.strip().lower() for c in text.split(",") if c.strip()]
    return out


def decode(
    body: bytes, codings: Iterable[str | bytes] | str | bytes | None, max_size: int = 0
) -> tuple[bytes, list[str]]:
    """Undo ``codings`` (a Content-Encoding value or list) right to left.

    Returns the decoded body and the codings left undone: decoding stops at the first coding
    this process cannot decode, and that coding and every one applied before it are returned
    (as Scrapy's HttpCompressionMiddleware does). Raises :class:`DecodedTooLarge` past
    ``max_size`` and :class:`ContentDecodingError` for a corrupt body.
    """
    pending = split_codings(codings)
    decoders = available()
    while pending:
        coding = pending[-1]
        if coding == "identity":
            pending.pop()
            continue
        decoder = decoders.get(coding)
        if decoder is None:
            break
        body = decoder(body, max_size)
        pending.pop()
    return body, pending


def accept_encoding() -> str:
    """The ``Accept-Encoding`` value for what this process decodes, most compact first."""
    have = available()
    return ", ".join(c for c in ("gzip", "deflate", "br", "zstd") if c in have)


@functools.cache
def available() -> dict[str, Decoder]:
    """Coding name → decoder, for each coding whose decoder decodes a known sample here."""
    decoders: dict[str, Decoder] = {"gzip": _gunzip, "x-gzip": _gunzip, "deflate": _inflate}
    for name, factory in (("br", _brotli_decoder), ("zstd", _zstd_decoder)):
        decoder = factory()
        if decoder is not None:
            decoders[name] = decoder
    return decoders


def missing() -> dict[str, str]:
    """Coding → why it cannot be decoded in this process (empty when all can)."""
    out = {}
    if "br" not in available():
        out["br"] = "no working brotli module (install brotlicffi)"
    if "zstd" not in available():
        out["zstd"] = "no working zstd module (Python 3.14's compression.zstd, or backports.zstd)"
    return out


# -- gzip and deflate ---------------------------------------------------------------------------


def _check(size: int, max_size: int) -> None:
    if max_size and size > max_size:
        raise DecodedTooLarge(f"decoded body larger than {max_size} bytes")


def _zlib_stream(data: bytes, wbits: int, max_size: int, name: str) -> bytes:
    """One or more concatenated zlib/gzip members (gzip allows several), bounded."""
    out = bytearray()
    while True:
        decomp = zlib.decompressobj(wbits)
        try:
            out += decomp.decompress(data, STEP)
            _check(len(out), max_size)
            while decomp.unconsumed_tail and not decomp.eof:
                out += decomp.decompress(decomp.unconsumed_tail, STEP)
                _check(len(out), max_size)
            if not decomp.eof:  # truncated: keep what came out, as browsers show it
                out += decomp.flush()
                _check(len(out), max_size)
        except zlib.error as exc:
            if out:  # a bad CRC or trailing junk after real content: keep the content
                return bytes(out)
            raise ContentDecodingError(f"corrupt {name} body: {exc}") from None
        data = decomp.unused_data
        if wbits != 31 or not data.startswith(b"\x1f\x8b"):
            return bytes(out)


def _gunzip(data: bytes, max_size: int) -> bytes:
    return _zlib_stream(data, 31, max_size, "gzip")


def _inflate(data: bytes, max_size: int) -> bytes:
    # RFC 9110 says zlib-wrapped (RFC 1950); some servers (old IIS) send raw deflate (RFC 1951)
    zlib_wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
    return _zlib_stream(data, 15 if zlib_wrapped else -15, max_size, "deflate")


# -- brotli -------------------------------------------------------------------------------------

# b"newsarc\n" compressed by brotli: decoded at start-up to prove the API works
_BR_SAMPLE = bytes.fromhex("8b03806e6577736172630a03")


def _import(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except Exception:  # ImportError, or a broken native module
        return None


def _brotli_decoder() -> Decoder | None:
    for module_name in ("brotlicffi", "brotli"):
        module = _import(module_name)
        if module is None:
            continue
        decoder = functools.partial(_unbrotli, module)
        try:
            if decoder(_BR_SAMPLE, 0) == b"newsarc\n":
                return decoder
        except Exception:  # the wrong API (brotlipy's brotli): try the next module
            continue
    return None


def _unbrotli(module: Any, data: bytes, max_size: int) -> bytes:
    decomp = module.Decompressor()
    try:
        out = bytearray(decomp.process(data, output_buffer_limit=STEP))
        _check(len(out), max_size)
        while not decomp.is_finished():
            chunk = decomp.process(b"", output_buffer_limit=STEP)
            if not chunk:
                break  # truncated input: keep what came out
            out += chunk
            _check(len(out), max_size)
    except module.error as exc:
        raise ContentDecodingError(f"corrupt br body: {exc}") from None
    return bytes(out)


# -- zstd ---------------------------------------------------------------------------------------

_ZSTD_SAMPLE = bytes.fromhex("28b52ffd20084100006e6577736172630a")


def _zstd_decoder() -> Decoder | None:
    module = _import("compression.zstd") or _import("backports.zstd")
    if module is None:
        return None
    decoder = functools.partial(_unzstd, module)
    try:
        return decoder if decoder(_ZSTD_SAMPLE, 0) == b"newsarc\n" else None
    except Exception:
        return None


def _unzstd(module: Any, data: bytes, max_size: int) -> bytes:
    out = bytearray()
    try:
        while data:
            decomp = module.ZstdDecompressor()
            out += decomp.decompress(data, STEP)
            _check(len(out), max_size)
            while not decomp.eof and not decomp.needs_input:
                out += decomp.decompress(b"", STEP)
                _check(len(out), max_size)
            if not decomp.eof:
                break  # truncated input: keep what came out
            data = decomp.unused_data  # the next frame, if any
    except module.ZstdError as exc:
        if out:
            return bytes(out)
        raise ContentDecodingError(f"corrupt zstd body: {exc}") from None
    return bytes(out)
