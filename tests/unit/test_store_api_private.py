"""Persistence belongs to the store: nothing in slotui/ outside slotui/store/ touches its SQLite
connection, its lock, its transactions or any other private part of it, nor runs SQL itself."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SLOTUI = Path(__file__).resolve().parents[2] / "slotui"
STORE = SLOTUI / "store"


def _owner(node: ast.expr) -> str:
    """The last name of the object an attribute is read from: ``self.store._lock`` -> ``store``."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def violations(source: str, filename: str = "<source>") -> list[str]:
    """Each use of the store's insides in ``source``, as ``file:line: what``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Attribute):
            owner = _owner(node.value)
            if node.attr == "conn":
                found.append(f"{where}: .conn (the store's SQLite connection)")
            elif node.attr == "_lock" and owner != "self":
                found.append(f"{where}: {owner}._lock (another object's private lock)")
            elif node.attr == "transaction":
                found.append(f"{where}: .transaction (use the store's public methods)")
            elif node.attr in ("execute", "executemany", "executescript"):
                found.append(f"{where}: .{node.attr} (SQL belongs to the store)")
            elif node.attr.startswith("_") and not node.attr.startswith("__") and owner.endswith("store"):
                found.append(f"{where}: {owner}.{node.attr} (a private part of the store)")
        elif isinstance(node, ast.Import) and any(a.name == "sqlite3" for a in node.names):
            found.append(f"{where}: import sqlite3")
        elif isinstance(node, ast.ImportFrom) and node.module == "sqlite3":
            found.append(f"{where}: from sqlite3 import")
    return found


def test_nothing_outside_the_store_package_uses_its_insides() -> None:
    files = [p for p in sorted(SLOTUI.rglob("*.py")) if STORE not in p.parents]
    assert len(files) > 50  # the scan really walked the tree
    found = [v for p in files for v in violations(p.read_text(encoding="utf-8"), str(p.relative_to(SLOTUI)))]
    assert found == []


def test_the_store_package_is_where_the_sql_is() -> None:
    """The other side of the rule: the store's modules do run SQL (the scan would see it)."""
    inside = [v for p in sorted(STORE.glob("*.py")) for v in violations(p.read_text(encoding="utf-8"), p.name)]
    assert any(".conn" in v for v in inside) and any("execute" in v for v in inside)


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("store.conn.execute('SELECT 1')", ".conn"),
        ("with self.store._lock:\n    pass", "store._lock"),
        ("with store.transaction() as c:\n    pass", ".transaction"),
        ("store._silence_id('ab')", "store._silence_id"),
        ("self.store._decode_silence(row)", "store._decode_silence"),
        ("import sqlite3", "import sqlite3"),
        ("from sqlite3 import connect", "from sqlite3"),
        ("cur.executemany('DELETE FROM silences', [])", ".executemany"),
    ],
)
def test_the_scan_catches_each_kind_of_use(source: str, fragment: str) -> None:
    found = violations(source)
    assert found and any(fragment in v for v in found), found


def test_the_scan_leaves_an_objects_own_lock_alone() -> None:
    assert violations("with self._lock:\n    self._rows.clear()") == []
