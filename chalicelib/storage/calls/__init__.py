"""Call records in DynamoDB, bare botocore, one module per job.

- ``items``: the item codec (a record's item, its ids and sort key, and back);
- ``writes``: storing a call's record with its nonce after its limits' counters, the body
  check's correction (``mark_failed``), the log line of a call no account sees;
- ``counting``: the limit counters, one item per authorization, every window raised by one
  conditional update;
- ``transaction``: the TransactWriteItems of a nonce taken over, each refusal named by its item;
- ``takeover``: a nonce used again after it stopped counting, taken over by the new call;
- ``plans``: which index partitions can hold what a listing asks for;
- ``merge``: the newest-first merge of those partitions within a read budget;
- ``listing``: one page of a viewer's records, with ``storage.pagination``'s cursor;
- ``lookup``: the one record of a request id.

A record is one item, whoever sees it (``models.CallRecordModel``). What an allowed call
costs is what its write costs, so each index is sparse and a call writes only the ones its
queries need:

| index            | partition                                  | holds                        |
| ---------------- | ------------------------------------------ | ---------------------------- |
| by_viewer        | ``<account>#success``, ``#failure``, ``#replay`` | every record, first viewer |
| by_other_viewer  | the same                                   | the app's owner, when another |
| by_app           | app_id                                     | every record with an app      |
| by_api           | api_id                                     | every record but replays      |
| by_request       | request_id (keys only)                     | refusals keyed by their nonce |

A replay (NONCE_USED) is in no API's partition: with the refused put before it, it still
costs no more than the call it replays. A record keyed ``r#<request_id>`` (a call whose
signature was not verified, a replay, an AppCode call) is found by its request id by its key;
a verified call's refusal pays the by_request entry (on an HTTP API its caller learns the
verdict only from its record). An allowed call pays none: that unit would be a fifth of what
it costs, so it is looked for among its viewer's successes, a listing filtered by request id.
"""
