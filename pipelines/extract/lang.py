"""Language of the text (ISO 639-1): py3langid on the text, the page's declaration as a fallback.

The model ships inside the py3langid package; it is loaded once per process and only read.
"""

from __future__ import annotations

import re
from functools import cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier

SAMPLE_CHARS = 3000  # classifying more text costs time and changes nothing
MIN_CHARS = 120  # below this the declared language is trusted over the detector
MIN_CONFIDENCE = 0.8


@cache
def _identifier() -> LanguageIdentifier:
    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect(text: str) -> tuple[str, float]:
    """(language code, probability) for ``text``."""
    sample = text[:SAMPLE_CHARS]
    lang, prob = _identifier().classify(sample)
    return str(lang), float(prob)


def language_of(text: str, declared: str | None) -> str | None:
    """The detected language when the text is long enough and the detector is sure, else the
    declared one (``<html lang>``, JSON-LD ``inLanguage``), else the detector's best guess."""
    letters = len(re.sub(r"[\W\d_]+", "", text[:SAMPLE_CHARS]))
    if letters == 0:
        return declared
    lang, prob = detect(text)
    if letters >= MIN_CHARS and prob >= MIN_CONFIDENCE:
        return lang if re.fullmatch(r"[a-z]{2}", lang) else declared
    return declared or (lang if re.fullmatch(r"[a-z]{2}", lang) else None)
