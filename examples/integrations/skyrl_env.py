"""SkyRL-Gym: corral's environment, made the way SkyRL's generator makes it
(``skyrl_gym.make``), driven by a scripted model. Episode 2 starts a miner: it ends
at that turn with reward 0 and ``corral_verdict == "ended"``; the others score 1.

    PYTHONPATH=src python3 examples/integrations/skyrl_env.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import skyrl_gym
from _policy import turns

from corral.integrations.skyrl import register


def main(episodes: int = 3, bad: frozenset[int] = frozenset({2})) -> list[dict]:
    register()  # the environment "corral" in SkyRL-Gym's registry
    rows = []
    for i in range(episodes):
        env = skyrl_gym.make(
            "corral",
            env_config={"policy": "default", "run": "skyrl-demo"},
            extras={"uid": f"ep{i}", "max_turns": 6, "reward_spec": {"ground_truth": "5"}},
        )
        env.init([{"role": "user", "content": "write add() and tell me add(2, 3)"}])
        for action in turns(i, set(bad)):
            out = env.step(action)
            if out["done"]:
                break
        env.close()
        rows.append({"episode": i, "reward": out["reward"], **out["metadata"]})
    return rows


if __name__ == "__main__":
    for row in main():
        print(row)
