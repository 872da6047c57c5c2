"""Work a JavaScript script leaves queued (an ``import()``'s ``then``, an async function
it does not await) runs in that script's own call, as Node runs it before exiting.

It ran in the guest's next call instead, or never: its output and what it did (a file
opened through ``qjs:std``, a process it tried) were that later, unrelated command's,
outside the call whose wall and events it belonged to."""

from __future__ import annotations

import corral
from corral.events import Event, EventBus


def test_queued_work_runs_in_its_own_call() -> None:
    bus = EventBus()
    seen: list[Event] = []
    bus.subscribe(seen.append)
    with corral.Sandbox(bus=bus) as sb:
        first = sb.run(
            """node -e '(async () => { for (let i = 0; i < 50; i++) await null; """
            """console.log("deep"); })();
import("qjs:std").then((s) => { console.log("imported", typeof s.open); });
import("qjs:os").then(() => { try { os.exec(["id"]); } catch (e) { console.log("refused"); } });'"""
        )
        calls_before = sum(1 for e in seen if e.type == "action.completed")
        second = sb.run("""node -e 'console.log("second")'""")
    assert first.exit_code == 0, first.stderr
    assert sorted(first.stdout.split("\n")) == ["", "deep", "imported function", "refused"]
    assert second.stdout == "second\n"
    spawned = [e for e in seen if (e.data or {}).get("via") == "os.exec"]
    assert len(spawned) == 1
    completed = [i for i, e in enumerate(seen) if e.type == "action.completed"]
    # reported before the first command's end, not during the second's
    assert seen.index(spawned[0]) < completed[calls_before - 1]
