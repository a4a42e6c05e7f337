"""Sign-in codes: typed as printed or sloppily, never two alike in a class, kept only keyed."""

from __future__ import annotations

from labtool.serve import codes


def test_a_code_is_read_however_it_is_typed() -> None:
    code = codes.new_code()
    assert len(code) == 9 and code[4] == "-"
    secret = b"s" * 32
    for typed in (code, code.lower(), code.replace("-", " "), f"  {code.replace('-', '')} "):
        assert codes.key_of(typed, secret) == codes.key_of(code, secret)


def test_codes_differ_and_need_the_secret() -> None:
    made = {codes.new_code() for _ in range(2000)}
    assert len(made) == 2000
    code = made.pop()
    assert codes.key_of(code, b"a" * 32) != codes.key_of(code, b"b" * 32)
    assert not set("ILOU01") & set(code)
