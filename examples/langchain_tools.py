"""The sandbox as LangChain tools (``pip install 'corral[langchain]'``), invoked by a
scripted plan instead of a model. With a chat model: ``model.bind_tools(tools)``."""

from __future__ import annotations

import corral
from corral.adapters.langchain import sandbox_tools

PLAN = [
    ("write_file", {"path": "data.csv", "content": "name,qty\napple,3\npear,5\n"}),
    ("run_python", {"code": "import csv\n"
                    "print(sum(int(r['qty']) for r in csv.DictReader(open('data.csv'))))"}),
    ("list_files", {}),
    ("run_shell", {"command": "nmap -sS 192.168.0.0/24"}),
]


def main() -> None:
    with corral.Sandbox(policy="default") as sb:
        tools = {t.name: t for t in sandbox_tools(sb)}
        print("tools:", ", ".join(tools))
        for name, args in PLAN:
            out = tools[name].invoke(args)
            print(f"--- {name}\n{out}")


if __name__ == "__main__":
    main()
