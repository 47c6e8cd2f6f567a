"""The isolated signer: its own process and consumer group, the only code that loads the key.

Modules: ``keystore`` (key files), ``policy`` / ``venues`` (what may be signed), ``transaction``
(strict parse, sign one slot), ``journal`` (decisions and daily spend, durable), ``signing``
(one request -> one decision), ``worker`` (Kafka), ``wallet`` (the PUBLIC key, for others).
"""
