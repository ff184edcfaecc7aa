"""All SQL lives in the store layer: ``qa/store/`` writes (and reads for the CLI and the
pipeline); ``qa/queries.py`` (the dashboard's) and ``qa/exports.py`` (the reporting tables)
hold the role-checked reads. Every other module calls their functions, so a table's shape is
known in one place and every change to a coach's work goes through the code that writes its
audit-trail row.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

QA = Path(__file__).resolve().parent.parent / "qa"

# Method names that run SQL on a sqlite3 connection or a sqlite_utils database.
SQL_CALLS = {"execute", "executescript", "executemany", "query"}
READ_LAYER = ("qa/queries.py", "qa/exports.py")
STORE_LAYER = ("qa/store/", *READ_LAYER)
# Words that change a database: none of them may appear in the read layer's SQL.
WRITES = re.compile(r"\b(INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER)\b")


def sql_calls(source: str) -> list[int]:
    """Line numbers of the calls of ``.execute(`` and its kin in a module's source."""
    return sorted(node.lineno for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                  and node.func.attr in SQL_CALLS)


def write_statements(source: str) -> list[int]:
    """Line numbers of string literals that hold SQL changing the database."""
    return sorted(node.lineno for node in ast.walk(ast.parse(source))
                  if isinstance(node, ast.Constant) and isinstance(node.value, str)
                  and WRITES.search(node.value))


def _modules() -> list[tuple[str, str]]:
    root = QA.parent
    return [(path.relative_to(root).as_posix(), path.read_text(encoding="utf-8"))
            for path in sorted(QA.rglob("*.py"))]


def test_the_checks_see_sql_calls_and_writes() -> None:
    source = ('def f(db, conn):\n    db.execute("SELECT 1")\n'
              '    conn.conn.executemany("INSERT INTO t VALUES (?)", [])\n    db.query("x")\n')
    assert sql_calls(source) == [2, 3, 4]
    assert write_statements(source) == [3]
    assert sql_calls("import re\nre.compile('x').match('x')\n") == []


def test_no_sql_outside_the_store_layer() -> None:
    found = [f"{name}:{line}" for name, source in _modules()
             if not name.startswith(STORE_LAYER) for line in sql_calls(source)]
    assert not found, "SQL outside the store layer:\n" + "\n".join(found)


def test_the_read_layer_writes_nothing() -> None:
    found = [f"{name}:{line}" for name in READ_LAYER
             for line in write_statements((QA.parent / name).read_text(encoding="utf-8"))]
    assert not found, "writes outside qa/store/ (move them there):\n" + "\n".join(found)
