// Apps: list, search by name and tag, create, copy, enable/disable, delete when disabled.
import { get, getAll, patch, post, del } from '../api.js';
import {
  append, attempt, badge, clear, confirmDialog, dialog, field, formatPairs, formatTime, guardedButton,
  h, parsePairs, setFieldError, showOnce, table, toast, toastError,
} from '../dom.js';
import { t } from '../i18n.js';
import { liveCheck, showFieldError } from './forms.js';
import { daysLeft, expiryMark, SOON_DAYS } from './marks.js';

const MAX_TAGS = 20;
const MAX_EXTENSION_BYTES = 2048;
const EXPIRING_APPS = 200; // the Expiring soon panel reads at most this many apps' details

export async function render(main, _params, ctx) {
  const state = { name: '', tag: '', cursors: [null] };
  const nameInput = field(t('name'), h('input', { type: 'search', id: 'search-name' }));
  const tagInput = field(t('tag'), h('input', { type: 'search', id: 'search-tag', placeholder: 'env=prod' }), t('tagHint'));
  const search = h('form', { class: 'toolbar', role: 'search' },
    nameInput.row, tagInput.row,
    h('button', { type: 'submit', class: 'btn' }, t('search')));
  const results = h('div');
  const expiring = h('div');
  const details = new Map(); // app id -> its details (a promise), shared by the rows and the panel
  const detailsOf = (id) => {
    if (!details.has(id)) details.set(id, get(`/v1/apps/${encodeURIComponent(id)}`));
    return details.get(id);
  };
  // Each search supersedes the one before: a slower answer to an older search must not
  // draw over a newer one, nor clear the error a newer search put on the tag field.
  let searches = 0;
  search.addEventListener('submit', (event) => {
    event.preventDefault();
    const tag = tagInput.input.value.trim();
    const problem = tagSearchError(tag);
    setFieldError(tagInput, problem);
    if (problem) {
      searches += 1;
      tagInput.input.focus();
      return;
    }
    state.name = nameInput.input.value.trim();
    state.tag = tag;
    state.cursors = [null];
    load();
  });
  append(main, [
    h('div', { class: 'page-head' },
      h('h1', null, t('apps')),
      h('button', { type: 'button', class: 'btn btn-primary', id: 'create-app', onclick: () => openCreate(load) }, t('createApp'))),
    h('p', { class: 'lead' }, t('appsLead')),
    expiring, search, results,
  ]);
  expiringPanel(expiring, detailsOf, ctx);

  async function load() {
    searches += 1;
    const mine = searches;
    const cursor = state.cursors[state.cursors.length - 1];
    let answer;
    try {
      answer = await get('/v1/apps', { name: state.name, tag: tagQuery(state.tag), cursor, limit: 50 });
    } catch (error) {
      if (error.status === 401 || mine !== searches) return;
      if (error.field === 'tag') setFieldError(tagInput, error.message);
      else toastError(error);
      return;
    }
    if (mine !== searches) return;
    setFieldError(tagInput, '');
    if (!ctx.isCurrent()) return;
    const keyCells = new Map();
    const rows = answer.items.map((app) => {
      const keyCell = h('td', { 'data-label': t('keys') }, '…');
      keyCells.set(app.app_id, keyCell);
      return h('tr', null,
        h('td', { 'data-label': t('name') }, h('a', { href: `#/apps/${encodeURIComponent(app.app_id)}` }, app.name),
          h('div', { class: 'muted mono' }, app.app_id)),
        h('td', { 'data-label': t('tags') }, Object.entries(app.tags || {}).map(([k, v]) => h('span', { class: 'chip' }, `${k}=${v}`))),
        h('td', { 'data-label': t('status') }, app.enabled ? badge(t('enabled'), 'ok') : badge(t('disabled'), 'off')),
        keyCell,
        h('td', { 'data-label': t('lastUsed') }, formatTime(app.last_used_at)),
        h('td', { 'data-label': t('calls'), class: 'num' }, String(app.call_count)),
        h('td', { class: 'row-actions' }, actions(app, load)));
    });
    clear(results);
    append(results, [
      table([t('name'), t('tags'), t('status'), t('keys'), t('lastUsed'), t('calls'), t('actions')], rows,
        { caption: t('apps'), empty: state.name || state.tag ? t('noAppsMatch') : t('noApps') }),
      pager(state, answer.next_cursor, load),
    ]);
    // The list has no key count; each app's details do (a few at a time).
    const queue = [...keyCells.keys()];
    const worker = async () => {
      while (queue.length) {
        const id = queue.shift();
        try {
          const app = await detailsOf(id);
          const soon = expiringOf(app).length;
          keyCells.get(id).replaceChildren(String(app.keys.length), ...(soon ? [' ', expiryBadgeCount(soon)] : []));
        } catch {
          keyCells.get(id).textContent = '—';
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  }
  await load();
}

// Tags are written key=value everywhere (entry and search); the API's filter takes key:value.
export function tagSearchError(text) {
  if (!text) return '';
  const at = text.indexOf('=');
  if (at <= 0) return t('tagSearchFormat');
  return '';
}

function tagQuery(text) {
  if (!text) return '';
  const at = text.indexOf('=');
  return `${text.slice(0, at).trim()}:${text.slice(at + 1).trim()}`;
}

// Key pairs, AppCodes and grants of one app's details that end within SOON_DAYS.
export function expiringOf(app) {
  const found = [];
  for (const key of app.keys) {
    if (daysLeft(key.expires_at) !== null) found.push({ kind: 'key', label: key.name ? `${key.name} (${key.access_key})` : key.access_key, at: key.expires_at });
  }
  for (const code of app.appcodes) {
    if (daysLeft(code.expires_at) !== null) found.push({ kind: 'appcode', label: code.appcode_id, at: code.expires_at });
  }
  for (const grant of app.authorizations) {
    if (daysLeft(grant.expires_at) !== null) {
      const target = grant.api_id ? `${t('api')} ${grant.api_id}` : grant.group ? `${t('group')}: ${grant.group}` : t('allApis');
      found.push({ kind: 'grant', label: target, at: grant.expires_at });
    }
  }
  return found;
}

function expiryBadgeCount(n) {
  const mark = badge(t('expiringCount', { n }), 'warn');
  mark.classList.add('expiry');
  return mark;
}

// "Expiring soon": every key pair, AppCode and grant of the account's apps ending within
// SOON_DAYS, soonest first, each with a link to its app. Shown only when there is one.
async function expiringPanel(box, detailsOf, ctx) {
  let found = [];
  try {
    const apps = (await getAll('/v1/apps', {}, Math.ceil(EXPIRING_APPS / 200))).slice(0, EXPIRING_APPS);
    const queue = [...apps];
    const worker = async () => {
      while (queue.length) {
        const app = queue.shift();
        try {
          const detail = await detailsOf(app.app_id);
          found.push(...expiringOf(detail).map((item) => ({ ...item, app: detail })));
        } catch {
          // an app deleted meanwhile: nothing of it expires
        }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
  } catch {
    return; // the list itself failed: the table below says so
  }
  if (!ctx.isCurrent() || !found.length) return;
  found = found.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const kinds = { key: t('keyPair'), appcode: t('appCode'), grant: t('authorization') };
  append(clear(box), h('section', { class: 'card expiring', id: 'expiring', 'aria-labelledby': 'expiring-title' },
    h('h2', { id: 'expiring-title' }, t('expiringSoon', { days: SOON_DAYS })),
    h('p', { class: 'hint' }, t('expiringLead', { days: SOON_DAYS })),
    h('ul', { class: 'expiring-list' }, found.map((item) => h('li', { 'data-kind': item.kind, 'data-app-id': item.app.app_id },
      expiryMark(item.at), ' ',
      h('span', { class: 'muted' }, kinds[item.kind]), ' ',
      h('span', { class: 'mono' }, item.label), ' · ',
      h('a', { href: `#/apps/${encodeURIComponent(item.app.app_id)}` }, item.app.name))))));
}

export function pager(state, nextCursor, load) {
  const page = state.cursors.length;
  return h('div', { class: 'pager' },
    h('button', { type: 'button', class: 'btn btn-small', disabled: page === 1,
      onclick: () => { state.cursors.pop(); load(); } }, t('previous')),
    h('span', null, t('pageN', { n: page })),
    h('button', { type: 'button', class: 'btn btn-small', disabled: !nextCursor,
      onclick: () => { state.cursors.push(nextCursor); load(); } }, t('next')));
}

function actions(app, reload) {
  return [
    h('button', { type: 'button', class: 'btn btn-small', onclick: () => openCopy(app) }, t('copyApp')),
    h('button', { type: 'button', class: 'btn btn-small', onclick: () => attempt(async () => {
      await patch(`/v1/apps/${encodeURIComponent(app.app_id)}`, { enabled: !app.enabled });
      toast(app.enabled ? t('appDisabled') : t('appEnabled'));
      await reload();
    }) }, app.enabled ? t('disable') : t('enable')),
    guardedButton(t('delete'), app.enabled ? t('deleteAppEnabledReason') : '', () => confirmDialog(
      t('deleteAppConfirm', { name: app.name }), t('delete'), () => attempt(async () => {
        await del(`/v1/apps/${encodeURIComponent(app.app_id)}`);
        toast(t('deleted'));
        await reload();
      }), { danger: true }), { danger: true }),
  ];
}

function openCopy(app) {
  dialog(t('copyAppTitle', { name: app.name }), (body, close) => {
    const name = field(t('newName'), h('input', { type: 'text', value: `${app.name} copy` }));
    const form = h('form', null, h('p', null, t('copyAppLead')), name.row,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')),
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('copyApp'))));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const created = await post(`/v1/apps/${encodeURIComponent(app.app_id)}/copy`, { name: name.input.value.trim() || undefined });
        close();
        if (created.keys && created.keys[0] && created.keys[0].secret) {
          showOnce(t('appCreated', { name: created.name }), [
            [t('appId'), created.app_id], [t('accessKey'), created.keys[0].access_key], [t('secret'), created.keys[0].secret]]);
        }
        location.hash = `#/apps/${encodeURIComponent(created.app_id)}`;
      } catch (error) {
        if (!showFieldError(error, { name })) toastError(error);
      }
    });
    append(body, form);
  });
}

export function pairsError(kind, text) {
  const lines = text.split('\n');
  const bad = lines.findIndex((line) => line.trim() && line.indexOf('=') <= 0);
  if (bad >= 0) return t('pairLineFormat', { line: bad + 1 });
  const pairs = parsePairs(text);
  if (kind === 'tags' && Object.keys(pairs).length > MAX_TAGS) {
    return `tags: Value error, at most ${MAX_TAGS} tags, got ${Object.keys(pairs).length}`;
  }
  if (kind === 'extension') {
    const size = new TextEncoder().encode(JSON.stringify(pairs)).length;
    if (size > MAX_EXTENSION_BYTES) return `extension: Value error, at most ${MAX_EXTENSION_BYTES} bytes once serialized, got ${size}`;
  }
  return '';
}

// The create / edit form's fields; `app` given: edit.
export function appFields(app) {
  const f = {
    name: field(t('name'), h('input', { type: 'text', id: 'app-name', required: true, value: app ? app.name : '' })),
    description: field(t('description'), h('textarea', { id: 'app-description', rows: 2, value: app ? app.description : '' })),
    tags: field(t('tags'), h('textarea', { id: 'app-tags', rows: 2, value: app ? formatPairs(app.tags) : '', placeholder: 'env=prod' }), t('pairsHint')),
    extension: field(t('extension'), h('textarea', { id: 'app-extension', rows: 2, value: app ? formatPairs(app.extension) : '' }), t('extensionHint')),
  };
  if (!app) {
    f.access_key = field(t('customAccessKey'), h('input', { type: 'text', id: 'app-access-key', autocomplete: 'off', spellcheck: 'false' }), t('accessKeyHint'));
    f.secret = field(t('customSecret'), h('input', { type: 'text', id: 'app-secret', autocomplete: 'off', spellcheck: 'false' }), t('customSecretOptionalHint'));
  }
  for (const kind of ['tags', 'extension']) {
    f[kind].input.addEventListener('input', () => setFieldError(f[kind], pairsError(kind, f[kind].input.value)));
  }
  return f;
}

function openCreate(reload) {
  dialog(t('createApp'), async (body, close) => {
    const f = appFields(null);
    const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('create'));
    const form = h('form', { id: 'create-app-form', novalidate: true },
      Object.values(f).map((x) => x.row),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')), submit));
    append(body, form);
    f.name.input.focus();
    const check = await liveCheck('CreateApp', { name: [f.name, false], description: [f.description, true], access_key: [f.access_key, true], secret: [f.secret, true] });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const pairProblems = ['tags', 'extension'].map((kind) => pairsError(kind, f[kind].input.value));
      if (!check() || pairProblems.some(Boolean)) return;
      const payload = { name: f.name.input.value.trim(), description: f.description.input.value };
      const tags = parsePairs(f.tags.input.value);
      const extension = parsePairs(f.extension.input.value);
      if (Object.keys(tags).length) payload.tags = tags;
      if (Object.keys(extension).length) payload.extension = extension;
      if (f.access_key.input.value) payload.access_key = f.access_key.input.value;
      if (f.secret.input.value) payload.secret = f.secret.input.value;
      submit.disabled = true;
      try {
        const created = await post('/v1/apps', payload);
        close();
        showOnce(t('appCreated', { name: created.name }), [
          [t('appId'), created.app_id], [t('accessKey'), created.keys[0].access_key], [t('secret'), created.keys[0].secret]]);
        await reload();
      } catch (error) {
        if (!showFieldError(error, f)) toastError(error);
      } finally {
        submit.disabled = false;
      }
    });
  });
}
