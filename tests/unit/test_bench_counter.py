"""The benchmark's statement counter: what the physical-limit ratio divides by."""

from __future__ import annotations

import sqlalchemy as sa
from bench.common import StatementCounter


def test_an_executemany_is_one_statement_sent_and_one_execution_per_row(tmp_path):
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'count.db'}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER)")
    counter = StatementCounter()
    counter.attach(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO t (n) VALUES (:n)"), [{"n": n} for n in range(5)])
        conn.execute(sa.text("UPDATE t SET n = n + 1"))
    assert counter.statements == {"INSERT t": 1, "UPDATE t": 1}
    assert counter.executions == {"INSERT t": 5, "UPDATE t": 1}
    assert counter.commits == 1
    engine.dispose()
