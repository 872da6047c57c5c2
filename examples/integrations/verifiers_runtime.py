"""verifiers v1: a corral runtime used the way ``provision_runtime`` uses a runtime
(``start`` inside ``try``, ``stop`` in ``finally``) by a scripted harness: write the
task, run the program, read the result back; a second rollout tries a miner and is
ended (exit 137 from then on).

    PYTHONPATH=src python3 examples/integrations/verifiers_runtime.py
"""

from __future__ import annotations

import asyncio

from corral.integrations.verifiers import CorralRuntime


async def rollout(name: str, bad: bool) -> dict:
    runtime = CorralRuntime(name, policy="default", run="vf-demo")
    try:
        await runtime.start()
        await runtime.write("task.py", b"print(6 * 7)\n")
        results = [await runtime.run(["python3", "task.py"], {})]
        if bad:
            miner = "xmrig -o stratum+tcp://p.example:3333"
            results.append(await runtime.run(["sh", "-c", miner], {}))
        results.append(await runtime.run(["sh", "-c", "python3 task.py > out.txt"], {}))
        out = await runtime.read("out.txt", max_bytes=1024) if await runtime.alive() else b""
        return {
            "rollout": name,
            "exit_codes": [r.exit_code for r in results],
            "out": out.decode().strip(),
            "verdict": runtime.episode.verdict,
        }
    finally:
        await runtime.stop()


def main() -> list[dict]:
    async def both() -> list[dict]:
        return list(await asyncio.gather(rollout("r0", False), rollout("r1", True)))

    return asyncio.run(both())


if __name__ == "__main__":
    for row in main():
        print(row)
