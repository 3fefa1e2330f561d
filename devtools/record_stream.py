"""Locally, what DynamoDB Streams + the ``record_aggregator`` Lambda do in AWS.

A daemon thread reads the call-records table's stream from the embedded moto server and
hands each batch to the same ``aggregate`` function the Lambda runs.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from chalicelib.config import settings
from chalicelib.storage import clients


def _streams_client() -> Any:
    config = settings()
    return clients._session().create_client(
        "dynamodbstreams", region_name=config.region, endpoint_url=config.dynamodb_endpoint
    )


class StreamReader:
    """Reads every shard of the call-records stream from its start, then follows it."""

    def __init__(self) -> None:
        description = clients.dynamodb().describe_table(
            TableName=settings().table_name("call-records")
        )
        self.stream_arn = description["Table"]["LatestStreamArn"]
        self.streams = _streams_client()
        self.iterators: dict[str, str | None] = {}

    def read(self) -> list[dict[str, Any]]:
        shards = self.streams.describe_stream(StreamArn=self.stream_arn)["StreamDescription"]
        for shard in shards.get("Shards", []):
            if shard["ShardId"] not in self.iterators:
                self.iterators[shard["ShardId"]] = self.streams.get_shard_iterator(
                    StreamArn=self.stream_arn,
                    ShardId=shard["ShardId"],
                    ShardIteratorType="TRIM_HORIZON",
                )["ShardIterator"]
        records: list[dict[str, Any]] = []
        for shard_id, iterator in list(self.iterators.items()):
            if iterator is None:
                continue
            response = self.streams.get_records(ShardIterator=iterator, Limit=1000)
            records.extend(response.get("Records", []))
            self.iterators[shard_id] = response.get("NextShardIterator")
        return records


def drain(reader: StreamReader) -> int:
    """Aggregate whatever the stream holds now; the number of stream records handled."""
    from chalicelib.services.usage import aggregate

    records = reader.read()
    if records:
        aggregate(records)
    return len(records)


def start_stream_poller(interval: float = 0.3) -> threading.Thread:
    reader = StreamReader()

    def poll() -> None:
        while True:
            try:
                drain(reader)
            except Exception as error:  # keep polling: a bad batch must not stop the counts
                print(f"record stream: {error!r}", flush=True)
            time.sleep(interval)

    thread = threading.Thread(target=poll, name="record-stream", daemon=True)
    thread.start()
    return thread
