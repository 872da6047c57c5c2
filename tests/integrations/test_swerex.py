"""SWE-ReX, tested against the real swe-rex package."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("swerex", reason="swe-rex is not installed")

from swerex.deployment.abstract import AbstractDeployment
from swerex.exceptions import (
    CommandTimeoutError,
    DeploymentNotStartedError,
    NonZeroExitCodeError,
    SessionDoesNotExistError,
    SessionExistsError,
)
from swerex.runtime.abstract import (
    AbstractRuntime,
    BashAction,
    CloseBashSessionRequest,
    Command,
    CreateBashSessionRequest,
)

from corral.integrations.swerex import CorralDeployment

from .conftest import load_example


def test_the_example_fixes_the_bug_and_is_ended_by_the_pipe_to_shell():
    log = load_example("swerex_deployment").main()
    assert "cat -> print(1 + 1)" in log and "read_file -> print(1 + 1)" in log
    assert log[-3].endswith("exit 126") and log[-2:] == ["alive: False", "verdict: ended"]


def test_runtime_semantics_match_swerex():
    async def go():
        d = CorralDeployment(run="rex-test")
        assert isinstance(d, AbstractDeployment)
        with pytest.raises(DeploymentNotStartedError):
            d.runtime  # noqa: B018
        with pytest.raises(DeploymentNotStartedError):
            await d.is_alive()
        await d.start()
        rt = d.runtime
        assert isinstance(rt, AbstractRuntime)
        try:
            with pytest.raises(SessionDoesNotExistError):
                await rt.run_in_session(BashAction(command="ls"))
            await rt.create_session(CreateBashSessionRequest())
            with pytest.raises(SessionExistsError):
                await rt.create_session(CreateBashSessionRequest())
            await rt.run_in_session(BashAction(command="mkdir -p d && cd d && V=1"))
            here = await rt.run_in_session(BashAction(command="pwd; echo $V"))
            assert here.output == "/workspace/d\n1"  # a session keeps its state
            r = await rt.execute(Command(command=["pwd"]))
            assert r.stdout == "/workspace\n"  # execute is independent of sessions
            obs = await rt.run_in_session(BashAction(command="exit 3", check="silent"))
            assert obs.exit_code == 3
            with pytest.raises(NonZeroExitCodeError, match="exit code 3"):
                await rt.run_in_session(BashAction(command="exit 3", error_msg="step"))
            ign = await rt.run_in_session(BashAction(command="exit 3", check="ignore"))
            assert ign.exit_code is None
            with pytest.raises(CommandTimeoutError):
                await rt.run_in_session(BashAction(command="while true; do :; done", timeout=1))
            r = await rt.execute(Command(command="echo a; echo b >&2", shell=True,
                                         merge_output_streams=True))
            assert r.stdout == "a\nb\n" and r.stderr == ""
            with pytest.raises(NonZeroExitCodeError):
                await rt.execute(Command(command=["false"], check=True))
            with pytest.raises(ValueError, match="identifiers"):
                await rt.execute(Command(command=["true"], env={"A B": "1"}))
            with pytest.raises(NotImplementedError):
                await rt.run_in_session(BashAction(command="gdb", is_interactive_command=True))
            await rt.close_session(CloseBashSessionRequest())
            with pytest.raises(SessionDoesNotExistError):
                await rt.close_session(CloseBashSessionRequest())
        finally:
            await d.stop()
            await d.stop()
        assert not await d.is_alive()

    asyncio.run(go())
