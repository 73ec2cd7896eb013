from __future__ import annotations

from ..listings import TOPICS, list_topic
from .output import add_json_flag, emit_json, print_table


def add_arguments(p) -> None:
    p.add_argument("topic", choices=sorted(TOPICS), help="what to list")
    add_json_flag(p)


def run(args) -> int:
    rows = list_topic(args.topic)
    if args.json:
        if args.topic == "metrics":
            emit_json([r["card"] for r in rows])
        else:
            emit_json(rows)
    else:
        print_table(rows, TOPICS[args.topic].columns)
        for row in rows:
            if row.get("parameter_table"):
                print(f"\n{row['name']} parameters")
                print_table(row["parameter_table"], ("module", "parameters"))
    return 0
