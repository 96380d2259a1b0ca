from pathlib import Path

import pytest

from policy_builder.core import yamlio as _yaml
from policy_builder.core.errors import SourceError


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "x.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_keeps_the_line_of_every_key(tmp_path):
    doc = _yaml.load(write(tmp_path, "schema: 1\nmessaging:\n  whatsapp: keep_in_touch\n  apps: [sms]\n"))
    assert doc.data == {"schema": 1, "messaging": {"whatsapp": "keep_in_touch", "apps": ["sms"]}}
    assert doc.line("messaging", "whatsapp") == 3
    assert doc.line("messaging", "apps") == 4


def test_duplicate_key_is_an_error_naming_both_lines(tmp_path):
    path = write(tmp_path, "messaging:\n  whatsapp: not_allowed\n  apps: [sms]\n  whatsapp: permitted\n")
    with pytest.raises(SourceError) as info:
        _yaml.load(path)
    assert str(info.value).endswith("x.yaml:4: 'messaging.whatsapp' appears twice (first on line 2); keep one")


def test_syntax_error_names_the_line(tmp_path):
    with pytest.raises(SourceError) as info:
        _yaml.load(write(tmp_path, "a: 1\nb: [1, 2\nc: 3\n"))
    assert ":3: YAML syntax error" in str(info.value) or ":4: YAML syntax error" in str(info.value)


def test_tab_indentation_is_explained(tmp_path):
    with pytest.raises(SourceError) as info:
        _yaml.load(write(tmp_path, "messaging:\n\twhatsapp: permitted\n"))
    assert "tab character" in str(info.value)


def test_python_tags_never_load(tmp_path):
    with pytest.raises(SourceError) as info:
        _yaml.load(write(tmp_path, "name: !!python/object/apply:os.system ['echo hi']\n"))
    assert "is not allowed" in str(info.value)


def test_binary_file_is_refused(tmp_path):
    with pytest.raises(SourceError) as info:
        _yaml.load(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00"))
    assert "binary file" in str(info.value)
