// Every error a person can cause, as a sentence in the page's language saying what to do.
// The API answers {code, message, field?} in English (pydantic's words or ours); this module
// reads the code, the field and the shape of the message, never shows a raw pattern, and
// keeps the server's own words for the rare message it does not know (error.detail always).
import { t } from './i18n.js';

// A field's name as the forms label it (the API's names otherwise).
const LABELS = {
  access_key: 'accessKey', name: 'name', description: 'description', tags: 'tags', tag: 'tag',
  extension: 'extension', path: 'path', method: 'method', group: 'group', gateway_id: 'gatewayId',
  base_url: 'baseUrl', expires_at: 'expires', from: 'from', to: 'to', app_id: 'appId', api_id: 'api',
  entries: 'ipWhitelist', grace_seconds: 'graceSeconds', stages: 'stages', secret: 'secret',
  appcode: 'appCode', result: 'result', account_id: 'account', bucket: 'bucket',
  per_second: 'per_second', per_minute: 'per_minute', per_day: 'per_day', per_month: 'per_month',
};

// What a field with a pattern accepts, said in words (the pattern itself is never shown).
const RULES = {
  access_key: 'ruleAccessKey', secret: 'ruleSecret', appcode: 'ruleSecret', group: 'ruleGroup',
  path: 'rulePath', gateway_id: 'ruleGatewayId', base_url: 'ruleBaseUrl', tag: 'ruleTag',
};

export function fieldLabel(field) {
  if (!field) return '';
  const parts = String(field).split('.');
  const last = parts[parts.length - 1].replace(/\[\d+\]$/, '');
  const key = LABELS[last] || LABELS[parts[0].replace(/\[\d+\]$/, '')];
  return key ? t(key) : last;
}

function ruleOf(field) {
  const name = String(field || '').split('.')[0].replace(/\[\d+\]$/, '');
  return RULES[name] ? t(RULES[name]) : '';
}

// pydantic's message (or ours) for one field -> [i18n key, variables], or null.
const SHAPES = [
  [/^Field required/i, () => ['errRequired']],
  [/^String should have at least (\d+) characters?/, (m) => ['errTooShort', { n: m[1] }]],
  [/^String should have at most (\d+) characters?/, (m) => ['errTooLong', { n: m[1] }]],
  [/^String should match pattern/, () => ['errPattern']],
  [/^Input should be greater than or equal to (\S+)/, (m) => ['errAtLeast', { n: m[1] }]],
  [/^Input should be greater than (\S+)/, (m) => ['errMoreThan', { n: m[1] }]],
  [/^Input should be less than or equal to (\S+)/, (m) => ['errAtMost', { n: m[1] }]],
  [/^Input should be less than (\S+)/, (m) => ['errLessThan', { n: m[1] }]],
  [/^Input should be a valid integer/, () => ['errWholeNumber']],
  [/^Input should be a valid (number|string|boolean|dictionary|list|array)/, () => ['errWrongType']],
  [/^Input should be ((?:'[^']*'(?:, | or )?)+)$/, (m) => ['errOneOf', { values: m[1].replace(/'/g, '').replace(/ or /g, ', ') }]],
  [/^Extra inputs are not permitted/, () => ['errUnknownField']],
  [/should have at most (\d+) items?/, (m) => ['errTooMany', { n: m[1] }]],
  [/should have at least (\d+) items?/, (m) => ['errTooFew', { n: m[1] }]],
  [/^must be an ISO-8601 time/, () => ['errTime']],
  [/must be in the future/, () => ['errFuture']],
  [/^must not be after 'to'/, () => ['errFromAfterTo']],
  [/^must be a JSON object/, () => ['errBody']],
  [/^the range holds more than (\d+) (\w+) buckets/, (m) => ['errTooManyBuckets', { n: m[1], bucket: t(`bucket_${m[2]}`) }]],
  [/^give app_id or api_id, not both/, () => ['errAppOrApi']],
  [/^'(.*)' looks like an IPv6 address/, (m) => ['errIpv6', { entry: m[1] }]],
  [/^'(.*)' has host bits set; did you mean '(.*)'\?/, (m) => ['errHostBits', { entry: m[1], network: m[2] }]],
  [/^'(.*)' has a prefix length over 32/, (m) => ['errPrefix', { entry: m[1] }]],
  [/^'(.*)' is not a valid whitelist entry/, (m) => ['errWhitelistEntry', { entry: m[1] }]],
  [/^at most (\d+) entries are allowed/, (m) => ['errTooMany', { n: m[1] }]],
  [/^'(.*)' is not a result/, () => ['errResult']],
];

// The server's message without anything that reads like code (a quoted pattern).
function plain(text) {
  return String(text || '').replace(/\s*'\^[^']*'/g, '').replace(/pattern\b/g, '').trim();
}

// One 400's sentence: the field's label and what to do.
export function validationSentence(field, message) {
  const own = String(message || '');
  // "field: what" (the server's form, ours too); several problems are joined by "; field: ".
  const first = own.split(/; (?=[\w.[\]]+: )/)[0];
  const named = field && first.startsWith(`${field}: `) ? first.slice(field.length + 2) : first.replace(/^[\w.[\]]+: /, '');
  const label = fieldLabel(field);
  for (const [pattern, build] of SHAPES) {
    const match = named.match(pattern);
    if (!match) continue;
    const [key, vars] = build(match);
    if (key === 'errPattern') {
      const rule = ruleOf(field);
      return rule ? t('errPatternRule', { field: label, rule }) : t('errPattern', { field: label });
    }
    return t(key, { field: label, ...(vars || {}) });
  }
  if (!field) return t('errInvalid', { detail: plain(own) });
  return t('errInvalidField', { field: label, detail: plain(named) });
}

const THINGS = {
  app: 'app', key: 'thingKey', token: 'thingToken', gateway: 'gateway', authorization: 'thingAuthorization',
  appcode: 'appCode', account: 'account', api: 'api',
};

function conflictSentence(message) {
  let m = message.match(/^access key (\S+) is already in use/);
  if (m) return t('errKeyInUse', { key: m[1] });
  m = message.match(/^(app|key) (\S+) is enabled; disable it/);
  if (m) return t('errDisableFirst', { thing: t(THINGS[m[1]]), id: m[2] });
  if (/default key pair cannot be deleted/.test(message)) return t('errDefaultKey');
  m = message.match(/^(\S+ \S+) is already registered on gateway (\S+)/);
  if (m) return t('errRouteTaken', { route: m[1], gateway: m[2] });
  if (/meanwhile|concurrent change/.test(message)) return t('errConcurrent');
  if (/root token cannot be revoked/.test(message)) return t('rootNotRevocable');
  if (/appcode|AppCode/.test(message) && /already|in use|unique/.test(message)) return t('errAppCodeInUse');
  return t('errConflict', { detail: plain(message) });
}

function notFoundSentence(message) {
  const m = message.match(/^(app|key|token|gateway|authorization|appcode|account|api) (\S+) not found/);
  if (m) return t('errNotFoundThing', { thing: t(THINGS[m[1]]), id: m[2] });
  return t('errNotFound');
}

// The sentence for an ApiError-like {status, code, field, detail, retryAfter}.
export function describe({ status, code, field, detail, retryAfter }) {
  const message = String(detail || '');
  if (status === 0) return t('errNetwork');
  if (status === 400) return validationSentence(field, message);
  if (status === 401) return t('errUnauthorized');
  if (status === 403) return t('errForbidden');
  if (status === 404) return notFoundSentence(message);
  if (code === 'LimitExceeded') return t('errLimit', { detail: plain(message) });
  if (status === 409) return conflictSentence(message);
  if (status === 503 || status === 429) {
    return retryAfter ? t('errBusyRetry', { seconds: retryAfter }) : t('errBusy');
  }
  return t('errServer', { status });
}
