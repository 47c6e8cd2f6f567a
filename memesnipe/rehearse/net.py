"""The local network the rehearsal runs against: one node (chain, clock, faults) and its three
stand-ins (RPC, Jito, Jupiter) on loopback, and the settings that point the pipeline at them."""

from __future__ import annotations

import json
from dataclasses import dataclass

from memesnipe.rehearse.chain import LocalChain
from memesnipe.rehearse.jito import JitoStandIn
from memesnipe.rehearse.jupiter import JupiterStandIn
from memesnipe.rehearse.node import Faults, LocalNode
from memesnipe.rehearse.rpc import RpcStandIn

REGION = "local"


@dataclass
class LocalNet:
    node: LocalNode
    rpc: RpcStandIn
    jito: JitoStandIn
    jupiter: JupiterStandIn

    @classmethod
    def start(
        cls, *, chain: LocalChain | None = None, faults: Faults | None = None, slot_s: float = 0.45
    ) -> LocalNet:
        node = LocalNode(chain, faults=faults, slot_s=slot_s).start()
        return cls(node, RpcStandIn(node).start(), JitoStandIn(node).start(), JupiterStandIn(node).start())

    def stop(self) -> None:
        for s in (self.jupiter, self.jito, self.rpc):
            s.stop()
        self.node.stop()

    @property
    def tip_floor_url(self) -> str:
        return self.jito.url + "/api/v1/bundles/tip_floor"

    def env(self, *, cross_check: bool = True) -> dict[str, str]:
        """MEMESNIPE_* settings that point every live client at the stand-ins."""
        out = {
            "MEMESNIPE_EXECUTION__RPC_URL": self.rpc.url,
            "MEMESNIPE_JITO__ENDPOINTS": json.dumps({REGION: self.jito.url}),
            "MEMESNIPE_JITO__REGION": REGION,
            "MEMESNIPE_JITO__TIP_FLOOR_URL": self.tip_floor_url,
            "MEMESNIPE_JUPITER__BASE_URL": self.jupiter.url,
            "MEMESNIPE_JUPITER__API_KEY": "local-rehearsal",
        }
        if cross_check:
            out["MEMESNIPE_SIGNER__RPC_URL"] = self.rpc.url
        return out
