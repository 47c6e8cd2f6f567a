"""The kill switch as the signer sees it: latest message wins; undecodable means ON (fail closed)."""

from __future__ import annotations

from dataclasses import dataclass

from memesnipe.streams.codec import DecodeError, decode
from memesnipe.streams.control import KillSwitch


@dataclass(slots=True)
class KillState:
    active: bool = False
    reason: str = ""
    by: str = ""

    def apply(self, raw: bytes | None) -> None:
        """Apply one killswitch record (in log order). A record that cannot be read turns the
        switch on: refusing entries is the safe side of not knowing."""
        if raw is None:  # a tombstone clears the switch only if it decodes: treat as unknown
            self.active, self.reason, self.by = True, "killswitch tombstone (state unknown)", "signer"
            return
        try:
            msg = decode(raw, KillSwitch)
        except DecodeError as exc:
            self.active, self.reason, self.by = True, f"undecodable killswitch message: {exc}", "signer"
            return
        except Exception as exc:  # RecursionError on deep nesting, ...: must not stop the signer
            self.active, self.reason, self.by = (
                True,
                f"undecodable killswitch message ({type(exc).__name__})",
                "signer",
            )
            return
        self.active, self.reason, self.by = msg.active, msg.reason, msg.by
