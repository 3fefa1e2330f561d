// The one way the console talks to the admin API: same origin, Bearer token from sessionStorage.
const TOKEN_KEY = 'apiauth.token';

// On API Gateway the page is served under the stage (/prod/console): /v1 lives beside it.
// Slashes collapsed and none at the end: opened at //console the base is '', not '/', and a
// path is never '//host/...' (which a URL parser reads as another host).
export const basePath = location.pathname
  .replace(/\/console\/?$/, '')
  .replace(/\/{2,}/g, '/')
  .replace(/\/$/, '');

// How an error is said to a person: main.js installs errors.js's sentences (this module
// imports nothing, so it also runs alone, as tests/unit/test_console_urls.py runs it).
let describe = ({ detail }) => detail;

export function onDescribe(sentence) {
  describe = sentence;
}

// message: a sentence in the page's language saying what to do; detail: the server's own
// words, kept for the title of a toast and for whoever debugs.
export class ApiError extends Error {
  constructor(status, body, { retryAfter = null } = {}) {
    const detail = (body && (body.message || body.Message)) || `HTTP ${status}`;
    const code = (body && body.code) || String(status);
    const field = (body && body.field) || null;
    super(describe({ status, code, field, detail, retryAfter }));
    this.status = status;
    this.code = code;
    this.field = field;
    this.detail = detail;
    this.retryAfter = retryAfter;
  }
}

export function token() {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value) {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function clearToken() {
  sessionStorage.removeItem(TOKEN_KEY);
}

let unauthorized = () => {};

export function onUnauthorized(handler) {
  unauthorized = handler;
}

// Every API URL is the page's origin with a path set on it: whatever the path holds, the
// call (and its Bearer token) cannot leave this origin.
export function url(path, query) {
  const target = new URL(location.origin);
  target.pathname = basePath + path;
  for (const [name, value] of Object.entries(query || {})) {
    if (value !== undefined && value !== null && value !== '') target.searchParams.set(name, value);
  }
  return target;
}

export async function api(method, path, { body, query, bearer } = {}) {
  const headers = { Accept: 'application/json', Authorization: `Bearer ${bearer || token() || ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(url(path, query), {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch (failure) {
    // No answer at all: the server is down (a `make run` being restarted) or unreachable.
    throw new ApiError(0, { message: String(failure && failure.message) });
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = { message: text };
    }
  }
  if (!response.ok) {
    const seconds = Number.parseInt(response.headers.get('Retry-After') || '', 10);
    const error = new ApiError(response.status, data, { retryAfter: Number.isFinite(seconds) ? seconds : null });
    if (response.status === 401 && !bearer) unauthorized(error);
    throw error;
  }
  return data;
}

export const get = (path, query) => api('GET', path, { query });
export const post = (path, body = {}) => api('POST', path, { body });
export const patch = (path, body) => api('PATCH', path, { body });
export const put = (path, body) => api('PUT', path, { body });
export const del = (path) => api('DELETE', path);

// Every item of a list, following next_cursor (bounded: a console page, not an export).
export async function getAll(path, query = {}, maxPages = 10) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page += 1) {
    const answer = await get(path, { ...query, limit: 200, cursor });
    items.push(...answer.items);
    cursor = answer.next_cursor;
    if (!cursor) break;
  }
  return items;
}
