"""simdrive.files and simdrive.jsontext: atomic writes and JSON text as json.dumps writes it."""

from __future__ import annotations

import json
import math
import os
import random

import pytest

from simdrive.files import OutputError, write_atomic, write_atomic_together
from simdrive.jsontext import compact_json, json_writer


def test_a_lone_file_over_a_folder_is_a_clear_error_and_leaves_nothing(tmp_path):
    (tmp_path / "label.txt").mkdir()
    with pytest.raises(OutputError, match="a folder has that name"):
        write_atomic(tmp_path / "label.txt", b"data")
    assert os.listdir(tmp_path) == ["label.txt"] and os.listdir(tmp_path / "label.txt") == []


def test_files_together_write_none_when_one_target_is_a_folder(tmp_path):
    (tmp_path / "b.json").mkdir()
    with pytest.raises(OutputError, match="a folder has that name"):
        write_atomic_together([(tmp_path / "a.png", b"image"), (tmp_path / "b.json", b"{}")])
    assert os.listdir(tmp_path) == ["b.json"]


def test_json_writer_writes_what_json_dumps_writes():
    r = random.Random(3)
    values = [{"a": 1, "b": [1.5, 2, None, True, False, "x\\y\"é\n\u2603"],
               "c": {"z": 1e-300, "y": -0.0, "x": math.nan, "w": math.inf, "v": -math.inf}},
              [1, 2.0, 3.3333333333333335, 1e22, 12345678901234567890123], "plain", 3, 2.5,
              None, {"k": (), "j": {}}, {"b": 1, "a": {"d": 2, "c": 3}}]
    values += [{"f": r.random() * 10 ** r.randint(-20, 20), "i": r.randint(-10 ** 12, 10 ** 12),
                "l": [round(r.random(), 3) for _ in range(4)], "s": chr(r.randint(0, 0x2fff))}
               for _ in range(500)]
    for separators in ((",", ":"), (", ", ": ")):
        for sort_keys in (False, True):
            write = json_writer(separators, sort_keys)
            for value in values:
                assert write(value) == json.dumps(value, separators=separators,
                                                  sort_keys=sort_keys)
    with pytest.raises(TypeError):
        compact_json({"a": object()})


def test_json_writer_without_the_c_encoder_falls_back_to_json_s_own(monkeypatch):
    from json import encoder

    monkeypatch.setattr(encoder, "c_make_encoder", None)
    value = {"b": [1.5, None, True, "é"], "a": {"x": math.nan}}
    for separators, sort_keys in (((",", ":"), False), ((", ", ": "), True)):
        write = json_writer(separators, sort_keys)
        assert write(value) == json.dumps(value, separators=separators, sort_keys=sort_keys)
