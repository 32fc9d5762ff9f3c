"""Arrow values built from buffers equal the ones pyarrow builds from Python objects."""

from __future__ import annotations

import math
import subprocess
import sys

import pyarrow as pa
import pytest

from slotui.sources.kit.arrow_values import arrow_float, arrow_text, arrow_texts


@pytest.mark.parametrize("texts", [[], [""], ["a", "", "café 中", "n/a"], ["x" * 70_000, "y"]])
def test_texts_are_the_same_strings(texts):
    built = arrow_texts(texts)
    assert built.type == pa.string() and built.null_count == 0
    assert built.equals(pa.array(texts, pa.string()))
    built.validate(full=True)


def test_one_text_is_a_string_scalar():
    assert arrow_text("helpfulness").equals(pa.scalar("helpfulness", pa.string()))
    assert arrow_text("").as_py() == ""


@pytest.mark.parametrize("value", [0.0, -0.0, 1.0, 1e-308, 5e-324, 1_000_000_000.0, math.inf])
def test_floats_are_the_same_doubles(value):
    built = arrow_float(value)
    assert built.type == pa.float64()
    assert math.copysign(1.0, built.as_py()) == math.copysign(1.0, value) and built.as_py() == value


def test_building_them_does_not_import_pandas():
    code = ("import sys; from slotui.sources.kit.arrow_values import *;"
            "arrow_texts(['a', 'b']); arrow_text('c'); arrow_float(2.5); print('pandas' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
