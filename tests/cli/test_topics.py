"""Topics are created with the configs streams.topics decides: the compacted control topics, and
the kill switch keeping its tombstones (a later reader must see the tombstone, not an empty topic)."""

from __future__ import annotations

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

from memesnipe.cli.topics import create_topics
from memesnipe.streams.topics import KEEP_TOMBSTONES_MS, topic_configs


def test_topic_configs_are_decided_in_one_place() -> None:
    assert topic_configs("price") == {}
    assert topic_configs("specs") == {"cleanup.policy": "compact"}
    assert topic_configs("killswitch") == {
        "cleanup.policy": "compact",
        "delete.retention.ms": str(KEEP_TOMBSTONES_MS),
    }


async def test_created_killswitch_topic_keeps_tombstones(isolated_env) -> None:
    settings = isolated_env.settings()
    await create_topics(settings)
    admin = AIOKafkaAdminClient(bootstrap_servers=isolated_env.bootstrap)
    await admin.start()
    try:
        res = await admin.describe_configs(
            [ConfigResource(ConfigResourceType.TOPIC, isolated_env.topic(t)) for t in ("killswitch", "price")]
        )
    finally:
        await admin.close()
    configs: dict[str, dict[str, str]] = {}
    for response in res:
        for _code, _msg, _rtype, name, entries in (r[:5] for r in response.resources):
            configs[name] = {e[0]: e[1] for e in entries}
    kill = configs[isolated_env.topic("killswitch")]
    assert kill["cleanup.policy"] == "compact" and kill["delete.retention.ms"] == str(KEEP_TOMBSTONES_MS)
    assert configs[isolated_env.topic("price")]["cleanup.policy"] == "delete"
