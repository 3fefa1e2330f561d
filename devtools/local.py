"""The local run: an embedded DynamoDB + KMS (moto server on loopback) and ``chalice local``.

Everything lives in one process, so the data lives as long as it does; there is no
autoreload child to lose it. ``DYNAMODB_ENDPOINT`` points everything at another DynamoDB
instead (e.g. DynamoDB Local), in which case KMS still comes from the embedded moto server.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from devtools.offline_aws import default_to_fake_aws

ROOT = Path(__file__).resolve().parents[1]
STOP_DEADLINE = 4.0  # seconds from SIGTERM or Ctrl-C to the process's end, at most


def start_moto() -> Any:
    from moto.server import ThreadedMotoServer

    from devtools import embedded_dynamodb

    embedded_dynamodb.install()

    # The embedded DynamoDB's own request log would drown the API's.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    return server


def prepare_storage() -> None:
    """Tables and the KMS key, created only if absent (a shared DynamoDB may have them)."""
    from chalicelib.config import settings
    from chalicelib.storage import clients
    from chalicelib.storage.models import ALL_MODELS

    for model in ALL_MODELS:
        if not model.exists():
            model.create_table(wait=True)
    kms = clients.kms()
    aliases = {a["AliasName"] for a in kms.list_aliases().get("Aliases", [])}
    if settings().kms_key_id not in aliases:
        key = kms.create_key(Description="apiauth local")
        kms.create_alias(AliasName=settings().kms_key_id, TargetKeyId=key["KeyMetadata"]["KeyId"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run apiauth locally.")
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    parser.add_argument("--stage", default="dev")
    args = parser.parse_args(argv)

    from devtools.http_api_shim import MODE_ENV_VAR, gateway_mode

    try:
        mode = gateway_mode()
    except ValueError as error:
        parser.error(str(error))
    os.environ[MODE_ENV_VAR] = mode
    default_to_fake_aws(os.environ)
    sys.path.insert(0, str(ROOT))
    moto_server = start_moto()
    moto_host, moto_port = moto_server.get_host_and_port()
    moto_url = f"http://{moto_host}:{moto_port}"
    os.environ.setdefault("DYNAMODB_ENDPOINT", moto_url)
    os.environ["KMS_ENDPOINT"] = os.environ.get("KMS_ENDPOINT") or moto_url
    os.environ.setdefault("APIAUTH_KMS_KEY_ID", "alias/apiauth-local")
    # The expiry notices go to the embedded EventBridge unless told otherwise.
    os.environ.setdefault("AWS_ENDPOINT_URL_EVENTBRIDGE", moto_url)

    from chalice.cli import create_local_server
    from chalice.cli.factory import CLIFactory

    from devtools.authorizer_shim import install

    install()
    factory = CLIFactory(str(ROOT), environ=os.environ)
    # Loading the app writes the stage's environment variables over os.environ; what the
    # caller set explicitly (e.g. APIAUTH_CACHE_TTL_SECONDS=0) must win.
    chosen = {k: v for k, v in os.environ.items() if k.startswith("APIAUTH_")}
    server = create_local_server(factory, "127.0.0.1", args.port, args.stage)
    os.environ.update(chosen)

    from chalicelib.storage.clients import reset_clients

    reset_clients()
    prepare_storage()

    from chalicelib.services.bootstrap import register_demo, register_root
    from devtools.expiry_schedule import start_expiry_schedule
    from devtools.gc_pauses import freeze_survivors_periodically
    from devtools.record_stream import start_stream_poller

    port = server.server.server_address[1]
    base = f"http://127.0.0.1:{port}"
    root_token = register_root(
        os.environ.get("APIAUTH_ROOT_TOKEN") or None, base_url=base, gateway_type=mode
    ).value
    demo = register_demo()
    start_stream_poller()
    stop = threading.Event()
    start_expiry_schedule(stop)
    freeze_survivors_periodically(stop)

    print(f"apiauth ready: {base}", flush=True)
    if mode == "http":
        print(
            "gateway local: an HTTP API (payload 2.0 events; denials 403 Forbidden, "
            "apigw-requestid on every answer)",
            flush=True,
        )
    print(f"admin token (root, account default): {root_token}", flush=True)
    # The token after '#': a browser never sends a URL's fragment, so no server (this one's
    # request log included) sees it; the console takes it into the tab and drops it from the URL.
    print(f"console: {base}/console#token={root_token}", flush=True)
    print(
        "demo app: app_id={app_id} access_key={access_key} secret={secret}".format(**demo),
        flush=True,
    )
    print("try:", flush=True)
    print(f"  curl -s {base}/v1/apps -H 'Authorization: Bearer {root_token}'", flush=True)
    print(
        f"  .venv/bin/python -m devtools.sign_call {base}/demo/hello"
        # "--secret=": a secret may start with "-", which argparse would take for an option.
        f" --key={demo['access_key']} --secret={demo['secret']}",
        flush=True,
    )

    def shutdown(signum: int, _frame: Any) -> None:
        if stop.is_set():  # a second Ctrl-C: out now
            os._exit(128 + signum)
        stop.set()
        # serve_forever may only be stopped from another thread.
        threading.Thread(target=server.shutdown, daemon=True).start()
        # Calls in flight (moto copying whole tables) may starve the orderly stop of the GIL;
        # whatever happens, the process is gone within the contract's 5 s.
        deadline = threading.Timer(STOP_DEADLINE, os._exit, args=(128 + signum,))
        deadline.daemon = True
        deadline.start()

    signal.signal(signal.SIGTERM, shutdown)
    signal.signal(signal.SIGINT, shutdown)
    try:
        server.serve_forever()
    finally:
        moto_server.stop()
    return 0


def exit_now(code: int) -> None:
    """End the process without the interpreter's teardown: the data lives in memory and dies
    with it anyway, and freeing a long session's objects one by one takes longer than the 5 s
    a stop may take (8 s after a few minutes' load)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    exit_now(main())
