"""Scripts written without spaces and other languages: words, word counts, sentences, dates
written in the page, and the dedup store's languages (its version-1 files still open)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.dedup.index import DedupIndex
from pipelines.dedup.signatures import cross_keys, latin_name_keys, signatures
from pipelines.dedup.store import Store
from pipelines.dedup.text import content_lines, sentence_starts, tokens
from pipelines.extract.dates import text_candidate
from pipelines.extract.extractor import extract
from pipelines.words import count_words, words

NOW = datetime(2025, 6, 1, tzinfo=UTC)
ZH = (
    "华夏通讯社莫斯科4月1日电 中共中央政治局委员、外交部长王毅4月1日在莫斯科同俄罗斯外长"
    "拉夫罗夫举行会谈。王毅表示，今年是世界反法西斯战争胜利80周年！双方还为习近平主席5月访俄"
    "进行了准备？拉夫罗夫说，俄方正在制定丰富、充实的日程；会谈后双方签署了磋商计划。"
)


def test_chinese_is_segmented_into_words() -> None:
    found = words(ZH)
    assert {"王毅", "莫斯科", "拉夫罗夫", "习近平", "80"} <= set(found)
    assert len(ZH.split()) == 2 and count_words(ZH) == len(found) > 50
    assert words("Wang Yi met Sergey Lavrov.") == ["Wang", "Yi", "met", "Sergey", "Lavrov"]
    assert count_words("Wang Yi met Lavrov in 莫斯科 on Tuesday.") == 8


def test_scripts_without_a_segmenter_count_characters() -> None:
    assert words("テスト") == ["テ", "ス", "ト"]
    assert count_words("สวัสดีครับ") == len("สวัสดีครับ")


def test_sentences_end_at_chinese_punctuation_without_a_space() -> None:
    (line,) = content_lines(ZH, None)
    starts = sentence_starts(line)
    assert len(starts) == 5  # 。！？； and the end
    toks = tokens([line], "zh")
    assert max(toks.sentence) == 4
    names = {w for w, e in zip(toks.norm, toks.entity, strict=True) if e}
    assert {"王毅", "拉夫罗夫", "习近平", "莫斯科"} <= names


def test_russian_stems_come_from_snowball() -> None:
    toks = tokens(["Переговоры прошли в Москве. Переговоров было много."], "ru")
    stems = dict(zip(toks.norm, toks.stem, strict=True))
    assert stems["переговоры"] == stems["переговоров"]


def test_names_are_keyed_in_latin_letters_across_scripts() -> None:
    assert latin_name_keys("王毅") == ("wang", "yi")
    assert latin_name_keys("习近平") == ("xi", "jinp")
    assert latin_name_keys("Лавров") == latin_name_keys("lavrov") == ("lavr",)
    en = set(cross_keys(tokens(["Xi Jinping met Lavrov on the 80th anniversary in 2025."], "en")))
    ru = set(cross_keys(tokens(["В 2025 году к 80-летию приехал Сергей Лавров."], "ru")))
    assert {"lavr", "#80", "#2025"} <= en & ru


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("发布时间：2025年4月1日 18:20 来源：新华社", "2025-04-01"),
        ("2025 年 04 月 01 日", "2025-04-01"),
        ("Опубликовано 1 апреля 2025, 16:05", "2025-04-01"),
        ("Publié le 1er avril 2025 à 18h20", "2025-04-01"),
        ("mis à jour le 12 février 2025", "2025-02-12"),
        ("Posted on April 1, 2025", None),  # English: htmldate's job
        ("31 февраля 2025", None),  # no such day
    ],
)
def test_dates_written_in_the_text(text: str, day: str | None) -> None:
    found = text_candidate(text)
    assert (found.iso() if found else None) == day
    if found:
        assert found.source == "text" and not found.has_time


def _page(lang: str, date_line: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<html lang="{lang}"><head><meta charset="utf-8">'
        '<meta property="og:type" content="article"><title>Title</title></head><body>'
        f'<h1>Title</h1><div class="info">{date_line}</div><div class="content">{body}</div>'
        "</body></html>"
    ).encode()


def test_extract_counts_chinese_words_and_reads_a_written_date() -> None:
    paragraphs = [ZH, ZH.replace("王毅", "王毅外长"), ZH.replace("会谈", "会晤")]
    page = _page("zh", "2025年04月01日 18:20", paragraphs)
    article = extract("http://x.test/a/c_1.htm", {}, page, now=NOW)
    assert article is not None and article.language == "zh"
    assert article.word_count == count_words(article.text) > 150
    assert (article.date, article.date_source) == ("2025-04-01", "text")
    assert article.truncated is False


def test_extract_reads_french_and_russian_dates() -> None:
    fr = [
        "Le ministre chinois des Affaires étrangères a rencontré son homologue russe à Moscou.",
        "Les deux ministres ont parlé de l'Ukraine et de la visite prévue du président chinois.",
        "Ils ont signé un plan de consultations entre leurs ministères pour les deux ans à venir.",
    ]
    article = extract("http://x.test/a", {}, _page("fr", "Publié le 1er avril 2025", fr), now=NOW)
    assert article is not None and (article.date, article.date_source) == ("2025-04-01", "text")
    ru = [
        "Министр иностранных дел Китая провёл переговоры в Москве с российским коллегой.",
        "Стороны обсудили ситуацию на Украине и подготовку визита председателя КНР в мае.",
        "По итогам встречи министры подписали план консультаций на два следующих года.",
    ]
    article = extract("http://x.test/b", {}, _page("ru", "1 апреля 2025, 16:05", ru), now=NOW)
    assert article is not None and (article.date, article.date_source) == ("2025-04-01", "text")


def test_chinese_syndicated_copy_with_other_header_and_footer_is_near() -> None:
    text = "\n\n".join([ZH, ZH.replace("王毅", "王毅外长"), ZH.replace("会谈", "会晤")] * 2)
    edited = text.replace("丰富", "丰富多彩")
    copy = f"来源：华夏通讯社 2025年04月01日\n\n{edited}\n\n（责任编辑：李明）"
    index = DedupIndex()
    index.add("a", "http://a.test/1", None, "2025-04-01", signatures(text, None, "zh"))
    v = index.add("b", "http://b.test/1", None, "2025-04-01", signatures(copy, None, "zh"))
    assert v.kind in ("near", "exact") and v.of == "a" and v.story == "a"


def test_a_version_1_index_opens_and_gets_the_language_columns(tmp_path: Path) -> None:
    path = tmp_path / "index.sqlite"
    Store(path).close()
    db = sqlite3.connect(path)  # back to version 1: no languages
    for table, column in (("docs", "lang"), ("docs", "cross"), ("stories", "lang"),
                          ("stories", "cross"), ("stories", "cross_label")):  # fmt: skip
        db.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    db.commit()
    db.close()
    with DedupIndex(path) as index:
        v = index.add("a", "http://a.test/1", None, "2025-04-01", signatures(ZH, None, "zh"))
        assert v.kind == "unique" and v.cross_story == "a"
    db = sqlite3.connect(path)
    assert db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone() == ("3",)
    assert db.execute("SELECT lang FROM stories").fetchone() == ("zh",)
