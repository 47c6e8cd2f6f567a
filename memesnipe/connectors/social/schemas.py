"""Raw ``GET /2/tweets/counts/recent`` payload (https://docs.x.com/x-api/posts/recent-search-counts):
time buckets of Post counts; ``errors`` may accompany or replace ``data``."""

from __future__ import annotations

from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict


class SearchCount(BaseModel):
    model_config = ConfigDict(extra="ignore")

    start: AwareDatetime
    end: AwareDatetime
    tweet_count: int


class CountsMeta(BaseModel):
    model_config = ConfigDict(extra="ignore")

    total_tweet_count: int | None = None
    newest_id: str | None = None
    next_token: str | None = None


class CountsResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    data: list[SearchCount] | None = None
    meta: CountsMeta | None = None
    errors: list[dict[str, Any]] | None = None
