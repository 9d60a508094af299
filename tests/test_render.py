"""Markdown becomes Telegram HTML that Telegram accepts, and readable plain text."""

from __future__ import annotations

from bot.render import (
    FSI,
    PDI,
    telegram_chunks,
    telegram_length,
    to_plain_text,
    to_telegram_html,
)


def test_html_uses_only_telegram_tags_and_escapes_text() -> None:
    html = to_telegram_html("A **b** *i* <script> & [link](https://x.org/?a=1&b=2)\n\n"
                            "- one\n- two\n\n## Head")
    assert "<b>b</b>" in html and "<i>i</i>" in html
    assert "&lt;script&gt; &amp;" in html
    assert '<a href="https://x.org/?a=1&amp;b=2">link</a>' in html
    assert "• one\n• two" in html
    for tag in ("<p>", "<ul>", "<li>", "<h2>", "<br"):
        assert tag not in html


def test_plain_text_shows_links_after_their_text() -> None:
    assert to_plain_text("See [BAMF](https://bamf.de).") == "See BAMF (https://bamf.de)."
    assert to_plain_text("**bold**") == "bold"


def test_long_answer_splits_between_blocks_within_limit() -> None:
    paragraphs = [f"Paragraph {i} **bold** " + "word " * 150 for i in range(12)]
    chunks = telegram_chunks("\n\n".join(paragraphs), limit=4096)
    assert len(chunks) > 1
    for chunk in chunks:
        assert telegram_length(chunk) <= 4096
        assert chunk.count("<b>") == chunk.count("</b>")
    assert "".join(chunks).count("Paragraph") == 12


def test_single_huge_block_is_split_without_breaking_tags() -> None:
    chunks = telegram_chunks("**" + "x " * 5000 + "**", limit=4096)
    assert len(chunks) == 3
    assert all(telegram_length(c) <= 4096 and "<b>" not in c for c in chunks)


def test_rtl_isolates_latin_runs_and_numbers() -> None:
    text = to_plain_text("راجع Ausländerbehörde الرقم 116117", rtl=True)
    assert f"{FSI}Ausländerbehörde{PDI}" in text
    assert f"{FSI}116117{PDI}" in text
    html = to_telegram_html("[BAMF](https://bamf.de)", rtl=True)
    assert 'href="https://bamf.de"' in html  # the URL itself is never altered
