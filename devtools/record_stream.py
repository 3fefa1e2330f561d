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
    # Named explicitly: recent botocore resolves a host that in-process moto does not serve.
    endpoint = config.dynamodb_endpoint or f"https://streams.dynamodb.{config.region}.amazonaws.com"
    return clients._session().create_client(
        "dynamodbstreams", region_name=config.region, endpoint_url=endpoint
    )


class StreamReader:
    """Reads every shard of the calls table's stream from its start, then follows it, as
    Lambda's event source mapping does: each batch's ``NextShardIterator`` leads to the next.
    An iterator that expired (15 minutes unused) is replaced by one after the last record seen.
    """

    def __init__(self) -> None:
        description = clients.dynamodb().describe_table(
            TableName=settings().table_name("calls")
        )
        self.stream_arn = description["Table"]["LatestStreamArn"]
        self.streams = _streams_client()
        self.last_sequence: dict[str, str] = {}
        self.iterators: dict[str, str] = {}

    def _iterator(self, shard_id: str) -> str:
        if shard_id in self.iterators:
            return self.iterators[shard_id]
        arguments: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": shard_id}
        if shard_id in self.last_sequence:
            arguments["ShardIteratorType"] = "AFTER_SEQUENCE_NUMBER"
            arguments["SequenceNumber"] = self.last_sequence[shard_id]
        else:
            arguments["ShardIteratorType"] = "TRIM_HORIZON"
        return str(self.streams.get_shard_iterator(**arguments)["ShardIterator"])

    def _batch(self, shard_id: str) -> list[dict[str, Any]]:
        try:
            response = self.streams.get_records(ShardIterator=self._iterator(shard_id), Limit=1000)
        except self.streams.exceptions.ExpiredIteratorException:
            self.iterators.pop(shard_id, None)
            response = self.streams.get_records(ShardIterator=self._iterator(shard_id), Limit=1000)
        batch: list[dict[str, Any]] = response.get("Records", [])
        if batch:
            self.last_sequence[shard_id] = batch[-1]["dynamodb"]["SequenceNumber"]
        if response.get("NextShardIterator"):
            self.iterators[shard_id] = response["NextShardIterator"]
        else:  # a closed shard: nothing more will come from it
            self.iterators.pop(shard_id, None)
        return batch

    def read(self) -> list[dict[str, Any]]:
        description = self.streams.describe_stream(StreamArn=self.stream_arn)
        records: list[dict[str, Any]] = []
        for shard in description["StreamDescription"].get("Shards", []):
            records.extend(self._batch(shard["ShardId"]))
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
