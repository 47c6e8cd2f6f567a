"""Raw X API v2 payloads: ``GET /2/tweets/counts/recent``
(https://docs.x.com/x-api/posts/recent-search-counts), time buckets of Post counts, and
``GET /2/tweets/search/recent`` (https://docs.x.com/x-api/posts/recent-search), the Posts with
their authors; ``errors`` may accompany or replace ``data`` in both."""

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


class Post(BaseModel):
    """A Post of ``GET /2/tweets/search/recent`` (https://docs.x.com/x-api/posts/recent-search);
    ``author_id`` and ``created_at`` come with ``tweet.fields`` / ``expansions=author_id``."""

    model_config = ConfigDict(extra="ignore")

    id: str
    text: str = ""
    author_id: str | None = None
    created_at: AwareDatetime | None = None


class SearchMeta(BaseModel):
    model_config = ConfigDict(extra="ignore")

    result_count: int | None = None
    newest_id: str | None = None
    oldest_id: str | None = None
    next_token: str | None = None


class SearchResponse(BaseModel):
    model_config = ConfigDict(extra="ignore")

    data: list[Post] | None = None
    includes: dict[str, Any] | None = None
    meta: SearchMeta | None = None
    errors: list[dict[str, Any]] | None = None
