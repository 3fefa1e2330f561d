"""Sign and send one call the way Alibaba Cloud API Gateway's APP authentication does.

    python -m devtools.sign_call http://127.0.0.1:8000/demo/hello --key=K --secret=S
    python -m devtools.sign_call http://127.0.0.1:8000/demo/echo --key=K --secret=S \
        --method POST --json '{"hello": "world"}'
    python -m devtools.sign_call ... --verbose   # also the headers sent and the StringToSign

From a script of one's own (the repository on the path):

    from devtools.sign_call import signed_headers
    headers = signed_headers("GET", url, key, secret)   # send them with any HTTP client
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
    return signed_call(
        method, url, key, secret, body, stage=stage, signature_method=signature_method
    )[0]


def signed_call(
    method: str,
    url: str,
    key: str,
    secret: str,
    body: bytes = b"",
    *,
    stage: str = "RELEASE",
    signature_method: str = "HmacSHA256",
) -> tuple[dict[str, str], str]:
    """``signed_headers`` and the StringToSign they were signed over (what a debugger needs)."""
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
    return headers, text


def describe_sent(method: str, url: str, headers: dict[str, str], string_to_sign: str) -> str:
    """What ``--verbose`` prints before the answer: the request line, every header sent and the
    StringToSign with its newlines as ``#``, exactly as the server's ``X-Ca-Error-Message``
    shows its own (so the two compare character by character)."""
    lines = [f"> {method.upper()} {url}"]
    lines += [f"> {name}: {value}" for name, value in headers.items()]
    lines.append(f"StringToSign: {signing.string_to_sign_for_error(string_to_sign)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("url")
    parser.add_argument("--key", required=True)
    parser.add_argument("--secret", required=True)
    parser.add_argument("--method", default="GET")
    parser.add_argument("--json", dest="json_body", help="a JSON body (sent with Content-MD5)")
    parser.add_argument("--stage", default="RELEASE")
    parser.add_argument("--signature-method", default="HmacSHA256")
    parser.add_argument(
        "--verbose", action="store_true", help="print the headers sent and the StringToSign"
    )
    args = parser.parse_args(argv)

    body = args.json_body.encode("utf-8") if args.json_body else b""
    if body:
        json.loads(body)
    headers, string_to_sign = signed_call(
        args.method,
        args.url,
        args.key,
        args.secret,
        body,
        stage=args.stage,
        signature_method=args.signature_method,
    )
    if args.verbose:
        print(describe_sent(args.method, args.url, headers, string_to_sign), flush=True)
    request = urllib.request.Request(
        args.url, data=body or None, headers=headers, method=args.method.upper()
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            print(response.status, response.read().decode("utf-8"))
            return 0
    except urllib.error.HTTPError as error:
        print(error.code, error.headers.get("X-Ca-Error-Code"), error.read().decode("utf-8"))
        if args.verbose and error.headers.get("X-Ca-Error-Message"):
            print("X-Ca-Error-Message:", error.headers.get("X-Ca-Error-Message"))
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
