"""Sign and send one call the way Alibaba Cloud API Gateway's APP authentication does.

    python -m devtools.sign_call http://127.0.0.1:8000/demo/hello --key K --secret S
    python -m devtools.sign_call http://127.0.0.1:8000/demo/echo --key K --secret S \
        --method POST --json '{"hello": "world"}'
"""

from __future__ import annotations

import argparse
import json
import time
import urllib.error
import urllib.request
import uuid
from urllib.parse import parse_qsl, unquote, urlsplit

from chalicelib.domain import signing


def signed_headers(
    method: str,
    url: str,
    key: str,
    secret: str,
    body: bytes = b"",
    *,
    stage: str = "RELEASE",
    signature_method: str = "HmacSHA256",
) -> dict[str, str]:
    """The headers of one signed call, with a fresh nonce; a body is sent as JSON
    with Content-MD5. Sending them again with the same body is an exact replay."""
    parts = urlsplit(url)
    headers = {
        "accept": "application/json",
        "x-ca-key": key,
        "x-ca-nonce": str(uuid.uuid4()),
        "x-ca-timestamp": str(int(time.time() * 1000)),
        "x-ca-signature-method": signature_method,
        "x-ca-stage": stage,
    }
    if body:
        headers["content-type"] = "application/json"
        headers["content-md5"] = signing.content_md5(body)
    signed_names = ["x-ca-key", "x-ca-nonce", "x-ca-signature-method", "x-ca-timestamp"]
    text = signing.build_string_to_sign(
        method=method,
        path=unquote(parts.path),
        headers=headers,
        signed_header_names=signed_names,
        query=parse_qsl(parts.query, keep_blank_values=True),
    )
    headers["x-ca-signature-headers"] = ",".join(signed_names)
    headers["x-ca-signature"] = signing.compute_signature(text, secret, signature_method)
    return headers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url")
    parser.add_argument("--key", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--json", dest="json_body", help="a JSON body (sent with Content-MD5)")
    parser.add_argument("--stage", default="RELEASE")
    parser.add_argument("--signature-method", default="HmacSHA256")
    args = parser.parse_args(argv)

    body = args.json_body.encode("utf-8") if args.json_body else b""
    if body:
        json.loads(body)
    headers = signed_headers(
        args.method,
        args.url,
        args.key,
        args.secret,
        body,
        stage=args.stage,
        signature_method=args.signature_method,
    )
    request = urllib.request.Request(
        args.url, data=body or None, headers=headers, method=args.method.upper()
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(response.status, response.read().decode("utf-8"))
            return 0
    except urllib.error.HTTPError as error:
        print(error.code, error.headers.get("X-Ca-Error-Code"), error.read().decode("utf-8"))
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
