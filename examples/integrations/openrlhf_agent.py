"""OpenRLHF: the agent an ``agent_func.py`` declares, run by OpenRLHF's own
``MultiTurnAgentExecutor`` with a scripted "vLLM engine" and a toy tokenizer (no model,
no GPU). Needs ``openrlhf`` importable (its ``openrlhf.utils.agent``); the test loads that
module from OpenRLHF's wheel when OpenRLHF itself is not installed.

The two lines of a real ``agent_func.py`` (``--train.agent_func_path``)::

    from corral.integrations.openrlhf import agent_classes
    AgentInstance, AgentExecutor = agent_classes(policy="default", run="exp1")
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _policy import turns

from corral.integrations.openrlhf import agent_classes


class ToyTokenizer:
    """One token per character (OpenRLHF calls ``tok(text=...)["input_ids"][0].tolist()``)."""

    def __call__(self, text: str, add_special_tokens: bool = False, return_tensors: Any = None):
        import numpy as np

        return {"input_ids": np.array([[ord(c) for c in text]])}

    def decode(self, ids: list[int], skip_special_tokens: bool = False) -> str:
        return "".join(map(chr, ids))


class ScriptedEngine:
    """Stands in for OpenRLHF's vLLM engine: answers each ``generate`` with the next turn."""

    def __init__(self, script: list[str]) -> None:
        self.script = list(script)

    async def generate(self, tokens: list[int], params: Any, multi_modal_data: Any = None):
        text = self.script.pop(0) if self.script else "<answer>?</answer>"
        out = SimpleNamespace(
            token_ids=[ord(c) for c in text], text=text, finish_reason="stop", logprobs=None
        )
        return SimpleNamespace(outputs=[out])


def main(agent_module: Any = None, episodes: int = 3, bad: frozenset[int] = frozenset({1})):
    _, executor_cls = agent_classes(agent_module=agent_module, policy="default", run="orl-demo")
    executor = executor_cls()

    async def one(i: int) -> dict[str, Any]:
        params = SimpleNamespace(logprobs=None, max_tokens=4096)
        out = await executor.execute(
            "Write add() and tell me add(2, 3).", "5", params, 1 << 20, ToyTokenizer(),
            ScriptedEngine(turns(i, set(bad))),
        )
        return {"episode": i, "reward": float(out["reward"]), **out["extra_logs"]}

    async def run_all() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(one(i) for i in range(episodes))))

    return asyncio.run(run_all())


if __name__ == "__main__":
    try:
        rows = main()
    except ImportError as e:
        sys.exit(
            f"OpenRLHF is not installed ({e}); it needs torch and vLLM. "
            "tests/integrations/test_openrlhf.py runs this example under OpenRLHF's own "
            "executor loaded from its wheel."
        )
    for row in rows:
        print(row)
