from __future__ import annotations

import pytest

from qun.spiders.decoding import BinaryContent, declared_charset, decode

SIMPLIFIED = (
    "南都公益基金会宣布资助晨光社区发展中心，推动集合影响力项目，各方将建立协作网络并持续沟通。"
)
TRADITIONAL = "香港社會服務聯會與樂施會簽署合作協議，推動集合影響力，建立協作網絡並持續溝通。"


def page(text: str, meta: str = "") -> str:
    return f"<html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>"


@pytest.mark.parametrize(
    ("text", "encoding", "expected"),
    [
        (SIMPLIFIED, "gbk", "gb18030"),
        (SIMPLIFIED, "gb2312", "gb18030"),
        (SIMPLIFIED, "utf-8", "utf-8"),
        (TRADITIONAL, "big5", "big5hkscs"),
        (TRADITIONAL, "utf-8", "utf-8"),
    ],
)
@pytest.mark.parametrize(
    "meta", ["", '<meta charset="utf-8">', '<meta charset="big5">', '<meta charset="gbk">']
)
def test_decodes_from_the_bytes_whatever_the_declaration(text, encoding, expected, meta):
    body = page(text, meta).encode(encoding)
    got = decode(body, declared_charset(body, None))
    assert got.encoding == expected
    assert text in got.text
    assert "\ufffd" not in got.text


def test_cut_multibyte_sequence_at_the_end_is_trimmed_not_replaced():
    body = page(SIMPLIFIED).encode("gbk")[:-20] + "集".encode("gbk")[:1]
    got = decode(body)
    assert got.encoding == "gb18030"
    assert got.trimmed_bytes == 1
    assert "\ufffd" not in got.text


@pytest.mark.parametrize(
    "body", [b"\x89PNG\r\n\x1a\n" + bytes(range(256)), b"%PDF-1.4 ...", bytes(range(32)) * 40]
)
def test_binary_content_is_refused(body):
    with pytest.raises(BinaryContent):
        decode(body)


def test_declared_charset_prefers_http_header():
    assert declared_charset(b'<meta charset="gbk">', "text/html; charset=UTF-8") == "UTF-8"
    assert (
        declared_charset(
            b'<meta http-equiv="Content-Type" content="text/html; charset=gb2312">', None
        )
        == "gb2312"
    )
