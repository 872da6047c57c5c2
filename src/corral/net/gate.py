"""The sandbox's decision on a connection, for the proxy and for ``curl``/``wget``.

:class:`NetGate` is the ``decide(host, port, ip)`` that
:func:`~corral.net.connect.connect_checked` calls:

* the name (``ip=None``) goes through the sandbox's whole gate: the policy, the
  approver for ``ask`` (``approval.requested``/``approval.answered`` events) and the
  monitor's precheck;
* each address goes through the policy's address rules (``deny_cidrs``, the
  protected ranges, address entries). An ``ask`` that comes from the same rule that
  already asked about the name was answered with the name: it is not asked twice. An
  ``ask`` that only the address raises (an address entry of ``network.ask``) goes to
  the approver as a ``net`` action carrying ``ip``. Without a policy (a custom gate),
  the gate gets that action for every address.

Without any gate every connection is refused (no policy allows network access).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..events import Decision, NetAction

__all__ = ["NO_NETWORK", "NetGate"]

NO_NETWORK = Decision(
    verdict="deny",
    rule="no-network-policy",
    reason="no policy allows network access (pass a policy that allows this host)",
)


class NetGate:
    """``decide(host, port, ip=None, url=None, protocol=None) -> Decision`` (module doc).

    Args:
        decide_action: the sandbox's decision on an action (gate, approver, monitor);
            ``None`` when there is no gate: everything is refused.
        policy: the policy behind the gate, for the address rules (``None``: a custom
            gate decides addresses too).
    """

    def __init__(
        self, decide_action: Callable[[NetAction], Decision] | None, policy: Any = None
    ) -> None:
        self.decide_action = decide_action
        self.policy = policy

    def __call__(
        self,
        host: str,
        port: int | None = None,
        ip: str | None = None,
        *,
        url: str | None = None,
        protocol: str | None = None,
    ) -> Decision:
        if self.decide_action is None:
            return NO_NETWORK
        if ip is None:
            return self.decide_action(NetAction(host=host, port=port, protocol=protocol, url=url))
        action = NetAction(host=host, port=port, protocol=protocol, url=url, ip=ip)
        decide_net = getattr(self.policy, "decide_net", None)
        if decide_net is None:
            return self.decide_action(action)
        at = decide_net(host, port, ip)
        if at.verdict != "ask":
            return at
        named = decide_net(host, port)
        if named.verdict == "ask" and named.rule == at.rule:
            # the question about the name was this question, and it was answered yes
            return Decision(
                verdict="allow",
                rule=at.rule,
                principle=at.principle,
                reason=f"address {ip} of an approved host: {at.reason}",
            )
        return self.decide_action(action)
