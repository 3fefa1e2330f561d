from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.signing import (
    FORM_CHARSETS,
    SIGNATURE_METHODS,
    UNSIGNABLE_HEADERS,
    build_string_to_sign,
    canonical_resource,
    compute_signature,
    content_md5,
    duplicate_parameter,
    form_charset,
    is_form_content_type,
    parse_form_body,
    parse_signed_header_names,
    signature_matches,
    string_to_sign_for_error,
)

VECTORS_PATH = Path(__file__).resolve().parents[3] / "shared" / "vectors" / "alibaba-signature.json"


def vector_params() -> list[Any]:
    if not VECTORS_PATH.exists():
        reason = f"shared signature vectors not found at {VECTORS_PATH}"
        return [pytest.param({}, marks=pytest.mark.skip(reason=reason), id="no-vectors")]
    vectors = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))["vectors"]
    return [pytest.param(vector, id=vector["name"]) for vector in vectors]


def server_string_to_sign(vector: dict[str, Any]) -> str:
    headers: dict[str, str] = vector["headers"]
    form: list[tuple[str, str]] = []
    if "body" in vector and is_form_content_type(headers.get("content-type")):
        form = parse_form_body(vector["body"].encode("utf-8")) or []
    return build_string_to_sign(
        method=vector["method"],
        path=vector["path"],
        headers=headers,
        signed_header_names=parse_signed_header_names(headers["x-ca-signature-headers"]),
        query=parse_qsl(vector.get("query", ""), keep_blank_values=True),
        form=form,
    )


@pytest.mark.parametrize("vector", vector_params())
def test_shared_vector_string_to_sign(vector: dict[str, Any]) -> None:
    if "string_to_sign" not in vector:
        pytest.skip("vector publishes no StringToSign")
    assert server_string_to_sign(vector) == vector["string_to_sign"]


@pytest.mark.parametrize("vector", vector_params())
def test_shared_vector_signature_verifies(vector: dict[str, Any]) -> None:
    if "secret" not in vector:
        pytest.skip("vector publishes no secret")
    string_to_sign = server_string_to_sign(vector)
    method = vector["headers"].get("x-ca-signature-method", "HmacSHA256")
    assert compute_signature(string_to_sign, vector["secret"], method) == vector["signature"]
    assert signature_matches(vector["signature"], string_to_sign, vector["secret"], method)


# RFC 2104 examples as published (Wikipedia "HMAC"), so the digests are not our own output.
QUICK_FOX = "The quick brown fox jumps over the lazy dog"
HMAC_SHA256_KEY_FOX = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
HMAC_SHA1_KEY_FOX = "de7c9b85b8b78aa6bc8a7a36f70a90701c9db4d9"


def b64_of_hex(digest: str) -> str:
    return base64.b64encode(bytes.fromhex(digest)).decode("ascii")


def test_signature_methods_are_sha256_and_sha1() -> None:
    assert set(SIGNATURE_METHODS) == {"HmacSHA256", "HmacSHA1"}


def test_hmac_sha256_is_the_default_method() -> None:
    assert compute_signature(QUICK_FOX, "key") == b64_of_hex(HMAC_SHA256_KEY_FOX)


def test_hmac_sha1_signature() -> None:
    signature = compute_signature(QUICK_FOX, "key", "HmacSHA1")
    assert signature == b64_of_hex(HMAC_SHA1_KEY_FOX)
    assert signature_matches(signature, QUICK_FOX, "key", "HmacSHA1")
    assert not signature_matches(signature, QUICK_FOX, "key", "HmacSHA256")


def test_error_on_unknown_signature_method() -> None:
    with pytest.raises(ValueError, match="HmacMD5"):
        compute_signature(QUICK_FOX, "key", "HmacMD5")


def test_unknown_method_never_matches() -> None:
    signature = compute_signature(QUICK_FOX, "key")
    assert not signature_matches(signature, QUICK_FOX, "key", "HmacMD5")
    assert not signature_matches(signature, QUICK_FOX, "key", "hmacsha256")


# Every code point, lone surrogates included: header values are not guaranteed to be valid text.
@given(provided=st.text(alphabet=st.characters(exclude_categories=())))
def test_garbage_provided_signature_never_raises(provided: str) -> None:
    expected = compute_signature(QUICK_FOX, "key")
    assert signature_matches(provided, QUICK_FOX, "key", "HmacSHA256") is (provided == expected)


def test_lone_surrogates_in_provided_signature_do_not_match() -> None:
    assert not signature_matches("\udcff\ud800", QUICK_FOX, "key", "HmacSHA256")


def test_lone_surrogate_in_string_to_sign_is_a_mismatch_not_a_crash() -> None:
    assert not signature_matches("AAAA", "GET\n\udc80", "key", "HmacSHA256")


def test_signed_header_names_keep_case_and_drop_excluded() -> None:
    value = (
        " X-Ca-Key , ,x-ca-nonce,Accept,Content-Type,X-Ca-Signature,x-ca-KEY,"
        "date,content-md5,X-CA-SIGNATURE-HEADERS,X-Custom"
    )
    assert parse_signed_header_names(value) == ["X-Ca-Key", "x-ca-nonce", "X-Custom"]


def test_unsignable_headers_are_lower_case() -> None:
    assert {
        "x-ca-signature",
        "x-ca-signature-headers",
        "accept",
        "content-md5",
        "content-type",
        "date",
    } == UNSIGNABLE_HEADERS


def test_empty_signed_header_list() -> None:
    assert parse_signed_header_names("") == []
    assert parse_signed_header_names(" , ") == []


def test_headers_sorted_as_written_with_values_looked_up_case_insensitively() -> None:
    string_to_sign = build_string_to_sign(
        method="get",
        path="/p",
        headers={"x-ca-key": "k", "x-ca-nonce": "n", "x-ca-timestamp": "1"},
        signed_header_names=["x-ca-key", "X-Ca-Timestamp", "X-Ca-Nonce"],
    )
    # Plain code-point order puts upper-case names before lower-case ones.
    assert string_to_sign == "GET\n\n\n\n\nX-Ca-Nonce:n\nX-Ca-Timestamp:1\nx-ca-key:k\n/p"


def test_fixed_headers_fill_their_slots() -> None:
    string_to_sign = build_string_to_sign(
        method="POST",
        path="/p",
        headers={
            "accept": "a",
            "content-md5": "m",
            "content-type": "t",
            "date": "d",
        },
        signed_header_names=[],
    )
    assert string_to_sign == "POST\na\nm\nt\nd\n/p"


def test_signed_header_absent_from_request_is_signed_empty() -> None:
    string_to_sign = build_string_to_sign(
        method="GET", path="/p", headers={}, signed_header_names=["X-Ca-Missing"]
    )
    assert string_to_sign == "GET\n\n\n\n\nX-Ca-Missing:\n/p"


def test_no_question_mark_without_parameters() -> None:
    assert canonical_resource("/a/b") == "/a/b"
    assert canonical_resource("/a/b", [], []) == "/a/b"


def test_parameters_sorted_by_code_point() -> None:
    query = [("b", "2"), ("a", "1"), ("B", "3"), ("_", "4")]
    assert canonical_resource("/p", query) == "/p?B=3&_=4&a=1&b=2"


def test_a_name_repeated_with_the_same_value_is_signed_once() -> None:
    assert canonical_resource("/p", [("a", "1"), ("a", "1")]) == "/p?a=1"
    assert canonical_resource("/p", [("k", "v")], [("k", "v")]) == "/p?k=v"


@pytest.mark.parametrize(
    ("query", "form", "duplicate"),
    [
        ([("a", "1"), ("a", "2")], [], "a"),
        ([("a", "1"), ("a", "")], [], "a"),
        ([], [("f", "x"), ("f", "y")], "f"),
        ([("k", "query")], [("k", "form")], "k"),
        ([("k", "q")], [("k", "")], "k"),
        ([("a", "1"), ("b", "2"), ("b", "3"), ("a", "4")], [], "b"),
        ([("a", "1"), ("a", "1")], [("a", "1")], None),
        ([("a", "1"), ("A", "2")], [], None),
        ([], [], None),
    ],
)
def test_duplicate_parameter_names_the_first_name_with_two_values(
    query: list[tuple[str, str]], form: list[tuple[str, str]], duplicate: str | None
) -> None:
    assert duplicate_parameter(query, form) == duplicate


def test_empty_value_signs_key_alone() -> None:
    assert canonical_resource("/p", [("a", ""), ("b", "1")]) == "/p?a&b=1"


def test_query_and_form_merged_and_sorted() -> None:
    resource = canonical_resource("/p", [("z", "1"), ("m", "2")], [("a", "3")])
    assert resource == "/p?a=3&m=2&z=1"


def test_values_are_signed_decoded() -> None:
    resource = canonical_resource("/a b", [("q", "x&y=z")])
    assert resource == "/a b?q=x&y=z"


def test_non_ascii_values_signed_as_utf8() -> None:
    string_to_sign = build_string_to_sign(
        method="GET",
        path="/路径",
        headers={"x-ca-name": "名字"},
        signed_header_names=["X-Ca-Name"],
        query=[("名字", "张三")],
    )
    assert string_to_sign == "GET\n\n\n\n\nX-Ca-Name:名字\n/路径?名字=张三"
    signature = compute_signature(string_to_sign, "秘密")
    assert signature_matches(signature, string_to_sign, "秘密", "HmacSHA256")
    assert not signature_matches(
        signature, string_to_sign.replace("张", "李"), "秘密", "HmacSHA256"
    )


def test_content_md5_of_known_bodies() -> None:
    assert content_md5(b"") == "1B2M2Y8AsgTpgAmY7PhCfg=="
    assert content_md5(QUICK_FOX.encode()) == b64_of_hex("9e107d9d372bb6826bd81d3542a419d6")


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/x-www-form-urlencoded", True),
        ("application/x-www-form-urlencoded; charset=utf-8", True),
        ("Application/X-WWW-Form-Urlencoded;charset=UTF-8", True),
        ("  application/x-www-form-urlencoded  ", True),
        ("application/json", False),
        ("multipart/form-data; boundary=x", False),
        ("text/plain; note=application/x-www-form-urlencoded", False),
        ("", False),
        (None, False),
    ],
)
def test_is_form_content_type(content_type: str | None, expected: bool) -> None:
    assert is_form_content_type(content_type) is expected


def test_form_body_keeps_blank_values_and_order() -> None:
    assert parse_form_body(b"b=2&a=&c&a=1") == [("b", "2"), ("a", ""), ("c", ""), ("a", "1")]


def test_form_body_is_decoded() -> None:
    body = b"name=%E5%90%8D%E5%AD%97&greeting=hello+world"
    assert parse_form_body(body) == [("name", "名字"), ("greeting", "hello world")]


def test_form_body_in_declared_charset() -> None:
    assert parse_form_body(b"name=%C3%FB", charset="gbk") == [("name", "名")]


def test_form_body_with_bad_bytes_is_unreadable_not_replaced() -> None:
    # Replacement characters would let two different bodies sign as the same parameters.
    assert parse_form_body(b"a=\xff") is None
    assert parse_form_body(b"b=%ff") is None


def test_form_body_in_a_codec_that_cannot_decode_it_is_unreadable() -> None:
    assert parse_form_body(b"a=\xff\xfe", charset="ascii") is None


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        (None, "utf-8"),
        ("application/x-www-form-urlencoded", "utf-8"),
        ("application/x-www-form-urlencoded; charset=UTF-8", "utf-8"),
        ('application/x-www-form-urlencoded; charset="gbk"', "gbk"),
        ("application/x-www-form-urlencoded; Charset=latin1", "iso8859-1"),
        ("application/x-www-form-urlencoded; charset=", "utf-8"),
        ("application/x-www-form-urlencoded; charset=undefined", None),
        ("application/x-www-form-urlencoded; charset=idna", None),
        ("application/x-www-form-urlencoded; charset=rot13", None),
        ("application/x-www-form-urlencoded; charset=utf-16", None),
    ],
)
def test_form_charset_accepts_text_charsets_only(
    content_type: str | None, charset: str | None
) -> None:
    assert form_charset(content_type) == charset


@given(body=st.binary(), charset=st.sampled_from(sorted(FORM_CHARSETS)))
def test_form_body_never_raises(body: bytes, charset: str) -> None:
    result = parse_form_body(body, charset)
    assert result is None or isinstance(result, list)


def test_string_to_sign_for_error_uses_hash_for_newlines() -> None:
    assert string_to_sign_for_error("GET\n\n\n\n\n/p") == "GET#####/p"


# --- Property: a client-side signature verifies, and any one-character change breaks it ---

HEADER_NAME = st.from_regex(r"[Xx]-[A-Za-z0-9][A-Za-z0-9-]{0,12}", fullmatch=True)
PARAM_KEY = st.text(min_size=1, max_size=8)
VALUE = st.text(max_size=12)


def client_string_to_sign(
    method: str,
    path: str,
    accept: str,
    headers: dict[str, str],
    query: dict[str, str],
    form: dict[str, str],
) -> str:
    # Written out independently of the module under test, from CONTRACT 3.1.
    lines = "".join(f"{name}:{headers[name]}\n" for name in sorted(headers))
    params = {**query, **form}
    resource = path
    if params:
        resource += "?" + "&".join(
            k if params[k] == "" else f"{k}={params[k]}" for k in sorted(params)
        )
    return f"{method.upper()}\n{accept}\n\n\n\n{lines}{resource}"


def change_one_character(text: str, index: int) -> str:
    if not text:
        return "x"
    index %= len(text)
    return text[:index] + chr(ord(text[index]) ^ 1) + text[index + 1 :]


@st.composite
def signed_requests(draw: st.DrawFn) -> dict[str, Any]:
    names = draw(
        st.lists(HEADER_NAME, min_size=1, max_size=4, unique_by=str.lower).filter(
            lambda found: not any(name.lower() in UNSIGNABLE_HEADERS for name in found)
        )
    )
    keys = draw(st.lists(PARAM_KEY, max_size=6, unique=True))
    split = draw(st.integers(0, len(keys)))
    return {
        "method": draw(st.sampled_from(["GET", "post", "PUT", "DELETE", "Patch", "HEAD"])),
        "path": "/" + draw(st.text(max_size=12)),
        "accept": draw(st.sampled_from(["", "application/json", "*/*"])),
        "headers": {name: draw(VALUE) for name in names},
        "query": {key: draw(VALUE) for key in keys[:split]},
        "form": {key: draw(VALUE) for key in keys[split:]},
        "secret": draw(st.text(min_size=1, max_size=20)),
        "signature_method": draw(st.sampled_from(sorted(SIGNATURE_METHODS))),
    }


def server_verifies(request: dict[str, Any], provided: str) -> bool:
    headers = {name.lower(): value for name, value in request["headers"].items()}
    headers["accept"] = request["accept"]
    string_to_sign = build_string_to_sign(
        method=request["method"],
        path=request["path"],
        headers=headers,
        signed_header_names=parse_signed_header_names(",".join(request["headers"])),
        query=list(request["query"].items()),
        form=list(request["form"].items()),
    )
    return signature_matches(
        provided, string_to_sign, request["secret"], request["signature_method"]
    )


def client_signature(request: dict[str, Any]) -> str:
    string_to_sign = client_string_to_sign(
        request["method"],
        request["path"],
        request["accept"],
        request["headers"],
        request["query"],
        request["form"],
    )
    return compute_signature(string_to_sign, request["secret"], request["signature_method"])


@given(request=signed_requests(), position=st.integers(min_value=0))
def test_client_signature_verifies_and_any_change_breaks_it(
    request: dict[str, Any], position: int
) -> None:
    signature = client_signature(request)
    assert server_verifies(request, signature)

    assert not server_verifies(request, change_one_character(signature, position))

    tampered_secret = {**request, "secret": change_one_character(request["secret"], position)}
    assert not server_verifies(tampered_secret, signature)

    header_names = list(request["headers"])
    name = header_names[position % len(header_names)]
    new_value = change_one_character(request["headers"][name], position)
    tampered_header = {**request, "headers": {**request["headers"], name: new_value}}
    assert not server_verifies(tampered_header, signature)

    sources = [(source, key) for source in ("query", "form") for key in request[source]]
    if sources:
        source, key = sources[position % len(sources)]
        new_param = change_one_character(request[source][key], position)
        tampered_param = {**request, source: {**request[source], key: new_param}}
        assert not server_verifies(tampered_param, signature)


# --- Cross-check against an independent client: the aliyun-api-gateway-python package ---


def cross_check_cases() -> list[Any]:
    # Keys are never in both query and form here: this client signs the query value for such a
    # key, where CONTRACT 3.1 (with Alibaba's own demos) signs the form value.
    return [
        pytest.param(
            {"method": "GET", "path": "/demo/hello", "query": {"b": "2", "a": "1"}},
            "HmacSHA256",
            id="get-query",
        ),
        pytest.param(
            {
                "method": "POST",
                "path": "/http2test/test",
                "query": {"param1": "test"},
                "form": {"username": "xiaoming", "password": "123456789"},
            },
            "HmacSHA256",
            id="form-post",
        ),
        pytest.param(
            {"method": "POST", "path": "/demo/echo", "json_body": {"名字": "张三", "n": 1}},
            "HmacSHA256",
            id="json-post",
        ),
        pytest.param(
            {"method": "GET", "path": "/demo/hello", "query": {"x": "1"}},
            "HmacSHA1",
            id="hmac-sha1",
        ),
        pytest.param(
            {"method": "GET", "path": "/路径/名字", "query": {"名字": "张三", "q": "a b&c=d"}},
            "HmacSHA256",
            id="non-ascii",
        ),
        pytest.param(
            {
                "method": "PUT",
                "path": "/demo/echo",
                "query": [("a", "1"), ("a", "1"), ("empty", "")],
                "form": [("f", ""), ("g", "1"), ("g", "1")],
            },
            "HmacSHA256",
            id="repeated-and-empty",
        ),
        pytest.param(
            {
                "method": "DELETE",
                "path": "/demo/item",
                "headers": {"X-Custom-Header": "Value", "Date": "Wed, 09 May 2018 13:30:29 GMT"},
                "additional_signed_headers": ("X-Custom-Header",),
            },
            "HmacSHA256",
            id="custom-signed-header-and-date",
        ),
    ]


@pytest.mark.parametrize(("request_fields", "signature_method"), cross_check_cases())
def test_matches_independent_client(request_fields: dict[str, Any], signature_method: str) -> None:
    gateway = pytest.importorskip("aliyun_api_gateway")
    client = gateway.ApiGatewayClient(
        "https://example.com", "203753385", "app-secret", signature_method=signature_method
    )
    signed = client.sign(
        gateway.ApiGatewayRequest(**request_fields),
        timestamp="1525872629832",
        nonce="c9f15cbf-f4ac-4a6c-b54d-f51abf4b5b44",
    )

    # Rebuild what the server sees from the wire: decoded path, query from the URL, form body.
    url = urlsplit(signed.url)
    headers = {name.lower(): value for name, value in signed.headers.items()}
    form: list[tuple[str, str]] = []
    body = signed.body or b""
    if is_form_content_type(headers.get("content-type")):
        form = parse_form_body(body) or []
    elif body:
        assert headers["content-md5"] == content_md5(body)

    string_to_sign = build_string_to_sign(
        method=signed.method,
        path=unquote(url.path),
        headers=headers,
        signed_header_names=parse_signed_header_names(headers["x-ca-signature-headers"]),
        query=parse_qsl(url.query, keep_blank_values=True),
        form=form,
    )
    assert string_to_sign == signed.string_to_sign
    assert signature_matches(
        headers["x-ca-signature"], string_to_sign, "app-secret", headers["x-ca-signature-method"]
    )


# Content-Type parsing edges: more than one parameter, no spaces, odd charset values.


FORM = "application/x-www-form-urlencoded"


def test_a_form_content_type_with_several_parameters_is_a_form() -> None:
    assert is_form_content_type(f"{FORM}; charset=utf-8; boundary=unused")


@pytest.mark.parametrize(
    ("content_type", "charset"),
    [
        (f"{FORM};charset=gbk", "gbk"),
        (f"{FORM};boundary=x;charset=big5", "big5"),
        (f'{FORM}; charset=""', "utf-8"),
        (f"{FORM}; charset=gbk=1", None),
        (f"{FORM}; charset=X-GBK", None),
    ],
)
def test_form_charset_reads_the_charset_parameter_exactly(
    content_type: str, charset: str | None
) -> None:
    assert form_charset(content_type) == charset
