"""DynamoDB capacity units read from the server, and counted from item sizes, to cross-check.

    python -m bench.capacity

moto reports no consumed capacity, so ``bench/cost.py`` counts units from item sizes. This
package reads them instead, from ``ReturnConsumedCapacity=INDEXES`` on a DynamoDB that computes
them: dynalite (npm, ``bench/dynalite.md``), started on 127.0.0.1 as a subprocess. One job a module:

- ``units``: ``Units`` per (table, index) and DynamoDB's rules: ``item_size``, ``write_units``
  (1 KB), ``read_units`` (4 KB, half if eventual, double in a transaction).
- ``schema``: ``model_tables``, each table's key and indexes (``TableSpec``, ``IndexSpec``) read
  from the PynamoDB models.
- ``dynalite``: ``Dynalite`` starts and stops it (``DYNALITE_DIR``, default ``/tmp/dynalite``;
  ``DynaliteUnavailable`` when it is not installed); ``create_tables`` makes the tables of
  ``models.ALL_MODELS`` there (names as the models say, so with the ``APIAUTH_TABLE_PREFIX`` in
  force when they were imported), without TTL.
- ``meter``: ``CapacityMeter``, botocore event hooks on a client (the project's bare one,
  PynamoDB's, or any other) that ask every data operation for ``ReturnConsumedCapacity=INDEXES``
  and sum what comes back, per request, table and index. A request that comes back without
  consumed capacity (a failed condition, an operation the server lacks) is kept aside as
  unmeasured, and counted by an optional ``fallback``.
- ``counting``: ``count_write`` and ``ItemSizeCounter``, the count from item sizes and the
  indexes each item populates, by the DynamoDB Developer Guide's rules.
- ``emulator``: ``TransactionEmulator``, TransactWriteItems for dynalite, which lacks it (the
  app's admin writes and the authorizer's allowed call are transactions): each action on its
  own, undone on a failed condition, its table units doubled. Not atomic; a benchmark aid.
- ``demonstration``: ``python -m bench.capacity``, representative requests measured and counted.

What dynalite 4.0.0 reports, and where that differs from DynamoDB, is in ``bench/dynalite.md``
("Consumed capacity"). In short: table units only, never index writes; nothing for a failed
condition; no transactions at all (hence the emulator).
"""
