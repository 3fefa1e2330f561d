// StringToSign and signature exactly as CONTRACT.md 3.1 (and chalicelib/domain/signing.py) build
// them, computed with WebCrypto in the page: the secret never leaves the browser.
const UNSIGNABLE = new Set(['x-ca-signature', 'x-ca-signature-headers', 'accept', 'content-md5', 'content-type', 'date']);
const ALGORITHMS = { HmacSHA256: 'SHA-256', HmacSHA1: 'SHA-1' };

const byCodePoint = (a, b) => (a < b ? -1 : a > b ? 1 : 0);

export function parseHeaders(text) {
  const headers = new Map(); // lower-case name -> first value
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at <= 0) continue;
    const name = line.slice(0, at).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(at + 1).trim());
  }
  return headers;
}

export function signedHeaderNames(value) {
  const names = [];
  const seen = new Set();
  for (const raw of (value || '').split(',')) {
    const name = raw.trim();
    const lowered = name.toLowerCase();
    if (!name || UNSIGNABLE.has(lowered) || seen.has(lowered)) continue;
    seen.add(lowered);
    names.push(name);
  }
  return names;
}

function firstValues(pairs) {
  const values = new Map();
  for (const [key, value] of pairs) if (!values.has(key)) values.set(key, value);
  return values;
}

export function canonicalResource(path, query = '', form = '') {
  const params = firstValues(new URLSearchParams(query));
  for (const [key, value] of firstValues(new URLSearchParams(form))) params.set(key, value);
  if (!params.size) return path;
  const keys = [...params.keys()].sort(byCodePoint);
  return `${path}?${keys.map((key) => (params.get(key) === '' ? key : `${key}=${params.get(key)}`)).join('&')}`;
}

// headers: Map of lower-case names; signed: the X-Ca-Signature-Headers value.
export function stringToSign({ method, path, query, form, headers, signed }) {
  const fixed = [method.toUpperCase(), 'accept', 'content-md5', 'content-type', 'date']
    .map((name, index) => (index === 0 ? name : headers.get(name) || ''));
  const names = signedHeaderNames(signed ?? headers.get('x-ca-signature-headers')).sort(byCodePoint);
  const lines = names.map((name) => `${name}:${headers.get(name.toLowerCase()) || ''}\n`).join('');
  return `${fixed.join('\n')}\n${lines}${canonicalResource(path, query, form)}`;
}

export async function sign(text, secret, method = 'HmacSHA256') {
  const hash = ALGORITHMS[method];
  if (!hash) throw new Error(`unsupported signature method ${method}`);
  const encoder = new TextEncoder();
  const key = await crypto.subtle.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash }, false, ['sign']);
  const digest = new Uint8Array(await crypto.subtle.sign('HMAC', key, encoder.encode(text)));
  let binary = '';
  for (const byte of digest) binary += String.fromCharCode(byte);
  return btoa(binary);
}

// The server's StringToSign out of an X-Ca-Error-Message ('#' stands for each newline).
export function serverStringToSign(message) {
  let text = message.trim();
  try {
    text = decodeURIComponent(text);
  } catch {
    // not percent-encoded: use as is
  }
  const marker = 'Server StringToSign:';
  const at = text.indexOf(marker);
  if (at >= 0) text = text.slice(at + marker.length);
  return text.replace(/#/g, '\n');
}

export function firstDifference(a, b) {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i += 1) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : length;
}
