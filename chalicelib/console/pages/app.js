// One app: its fields, key pairs, AppCodes, IP whitelist and the authorizations it holds.
import { del, get, patch, post, put } from '../api.js';
import {
  append, attempt, badge, clear, confirmDialog, copyButton, copyText, dialog, field, formatTime,
  guardedButton, h, icon, isoToLocal, localToIso, moreMenu, parsePairs, setFieldError, showOnce, table, toast, toastError,
} from '../dom.js';
import { t } from '../i18n.js';
import { appFields, pairsError } from './apps.js';
import {
  editGrantButton, openAuthorize, revokeButton, stagesText, targetText, untilText,
} from './apis.js';
import { apiLabel, callUrl, coveredApis, loadApis } from './catalog.js';
import { liveCheck, showFieldError } from './forms.js';
import { openKeyPair } from './keypair.js';
import { expiryCell, named, usageBars, viewerAccount } from './marks.js';

const MASK = '••••••••••••••••';
// Key pairs a page: a 390 px screen shows each as a card, so fewer of them.
const keysPerPage = () => (matchMedia('(max-width: 720px)').matches ? 10 : 20);

export async function render(main, [appId], ctx) {
  const page = {
    appId, ctx, main,
    revealed: new Map(), // access key -> secret, for this page view only
    keyView: { query: '', page: 0 }, // the key pairs' search and page, kept across reloads
    catalog: await loadApis().catch(() => ({ items: [], byId: new Map(), byGroup: new Map() })),
    viewer: await viewerAccount(),
  };
  page.load = () => load(page);
  page.reload = () => attempt(page.load);
  await page.load();
}

// The page, drawn again from the app as the server has it now.
async function load(page) {
  const app = await get(`/v1/apps/${encodeURIComponent(page.appId)}`);
  if (!page.ctx.isCurrent()) return;
  // A key pair's "More" menu opened while the page was being read again stays open.
  const opened = page.main.querySelector('tr[data-access-key] details.more-actions[open]');
  const openedFor = opened && opened.closest('tr').dataset.accessKey;
  clear(page.main);
  document.title = `${app.name} · ${t('brand')}`;
  append(page.main, [
    header(page, app),
    details(app),
    keysSection(page, app),
    appCodesSection(page, app),
    whitelistSection(app),
    authorizationsSection(page, app),
  ]);
  if (openedFor) {
    const again = page.main.querySelector(`tr[data-access-key="${CSS.escape(openedFor)}"] details.more-actions`);
    if (again) again.open = true;
  }
}

async function secretOf(page, accessKey) {
  if (!page.revealed.has(accessKey)) {
    const key = await get(`/v1/keys/${encodeURIComponent(accessKey)}`, { reveal: 'true' });
    page.revealed.set(accessKey, key.secret);
  }
  return page.revealed.get(accessKey);
}

// Name, access key, secret, call URLs and authorized APIs, as text (the seeds' Copy button).
async function summary(page, app, key) {
  const lines = [
    `${t('name')}: ${app.name}`,
    `${t('appId')}: ${app.app_id}`,
    `${t('accessKey')}: ${key.access_key}`,
    `${t('secret')}: ${await secretOf(page, key.access_key)}`,
    `${t('callUrls')}:`,
  ];
  const urls = new Set();
  for (const grant of app.authorizations) {
    for (const api of apisOf(page, app, grant)) {
      const link = callUrl(api);
      if (link) urls.add(`  ${api.method} ${link}`);
    }
  }
  lines.push(...(urls.size ? urls : [`  ${t('none')}`]));
  lines.push(`${t('authorizedApis')}:`);
  for (const grant of app.authorizations) {
    lines.push(`  ${grantTarget(page, app, grant)} · ${stagesText(grant)} · ${untilText(grant)}`);
  }
  if (!app.authorizations.length) lines.push(`  ${t('none')}`);
  return lines.join('\n');
}

function header(page, app) {
  const defaultKey = app.keys.find((key) => key.is_default) || app.keys[0];
  return h('div', { class: 'page-head' },
    h('div', null,
      h('p', { class: 'crumbs' }, h('a', { href: '#/apps' }, t('apps')), ' / '),
      h('h1', null, app.name, ' ', app.enabled ? badge(t('enabled'), 'ok') : badge(t('disabled'), 'off'))),
    h('div', { class: 'head-actions' },
      defaultKey ? h('button', { type: 'button', class: 'btn', id: 'copy-all',
        onclick: () => attempt(async () => copyText(await summary(page, app, defaultKey))) }, icon('copy'), ' ', t('copyAll')) : null,
      h('a', { class: 'btn', href: `#/records?app_id=${encodeURIComponent(app.app_id)}` }, t('callRecords')),
      h('button', { type: 'button', class: 'btn', onclick: () => openEdit(page, app) }, t('edit')),
      h('button', { type: 'button', class: 'btn', onclick: () => openAuthorize({ appId: app.app_id, onDone: page.reload }) }, t('authorize')),
      h('button', { type: 'button', class: 'btn', id: 'toggle-app', onclick: () => attempt(async () => {
        await patch(`/v1/apps/${encodeURIComponent(app.app_id)}`, { enabled: !app.enabled });
        toast(app.enabled ? t('appDisabled') : t('appEnabled'));
        await page.load();
      }) }, app.enabled ? t('disableApp') : t('enableApp')),
      guardedButton(t('delete'), app.enabled ? t('deleteAppEnabledReason') : '', () => confirmDialog(
        t('deleteAppConfirm', { name: app.name }), t('delete'), () => attempt(async () => {
          await del(`/v1/apps/${encodeURIComponent(app.app_id)}`);
          toast(t('deleted'));
          location.hash = '#/apps';
        }), { danger: true }), { danger: true })));
}

function details(app) {
  const row = (label, value, copyable) => [h('dt', null, label), h('dd', null, value, copyable ? copyButton(() => copyable, `${t('copy')} ${label}`) : null)];
  return h('section', { class: 'card' },
    h('dl', { class: 'kv' },
      row(t('appId'), h('code', null, app.app_id), app.app_id),
      row(t('description'), app.description || '—'),
      row(t('tags'), Object.entries(app.tags).map(([k, v]) => h('span', { class: 'chip' }, `${k}=${v}`))),
      row(t('extension'), Object.keys(app.extension).length ? h('code', null, JSON.stringify(app.extension)) : '—'),
      row(t('created'), formatTime(app.created_at)),
      row(t('lastUsed'), formatTime(app.last_used_at)),
      row(t('calls'), String(app.call_count))));
}

// The key pairs, default first, searched by name or access key and drawn a page at a time:
// an app may hold hundreds (the account's limit is 500).
function keysSection(page, app) {
  const headers = [t('name'), t('accessKey'), t('secret'), t('status'), t('expires'), t('lastUsed'), t('calls'), t('actions')];
  const ordered = [...app.keys].sort((a, b) => Number(b.is_default) - Number(a.is_default));
  const view = page.keyView;
  const search = h('input', {
    type: 'search', id: 'key-search', value: view.query, placeholder: t('searchKeysPlaceholder'),
    'aria-label': t('searchKeys'), autocomplete: 'off', spellcheck: 'false',
  });
  const count = h('span', { id: 'keys-count', class: 'muted', 'aria-live': 'polite' });
  const prev = h('button', { type: 'button', class: 'btn btn-small', id: 'keys-prev' }, t('previous'));
  const next = h('button', { type: 'button', class: 'btn btn-small', id: 'keys-next' }, t('next'));
  const pageLabel = h('span');
  const rows = h('div');
  const draw = () => {
    performance.mark('apiauth:keys-draw');
    const query = view.query.trim().toLowerCase();
    const matching = query ? ordered.filter((key) => (key.name || '').toLowerCase().includes(query)
      || key.access_key.toLowerCase().includes(query)) : ordered;
    const perPage = keysPerPage();
    const pages = Math.max(1, Math.ceil(matching.length / perPage));
    view.page = Math.min(view.page, pages - 1);
    const first = view.page * perPage;
    const shown = matching.slice(first, first + perPage);
    clear(rows).append(table(headers, shown.map((key) => keyRow(page, app, key)),
      { empty: query ? t('noKeysMatch', { query: view.query.trim() }) : t('nothingHere') }));
    const range = { from: shown.length ? first + 1 : 0, to: first + shown.length, total: matching.length, all: ordered.length };
    count.textContent = query ? t('keysMatched', range) : t('keysShown', range);
    pageLabel.textContent = t('pageNofM', { n: view.page + 1, m: pages });
    prev.disabled = view.page === 0;
    next.disabled = view.page >= pages - 1;
    performance.measure('apiauth:keys-render', 'apiauth:keys-draw');
  };
  search.addEventListener('input', () => { view.query = search.value; view.page = 0; draw(); });
  prev.addEventListener('click', () => { view.page -= 1; draw(); });
  next.addEventListener('click', () => { view.page += 1; draw(); });
  draw();
  const paging = ordered.length > keysPerPage();
  return h('section', { class: 'card', 'aria-labelledby': 'keys-title', id: 'keys' },
    h('div', { class: 'section-head' }, h('h2', { id: 'keys-title' }, t('keyPairs')),
      h('button', { type: 'button', class: 'btn btn-primary', id: 'add-key', onclick: () => openAddKey(page, app) }, t('addKeyPair'))),
    h('p', { class: 'hint' }, t('keyPairsLead')),
    h('div', { class: 'key-tools', hidden: !paging && !view.query }, search, count),
    rows,
    h('div', { class: 'pager', hidden: !paging }, prev, pageLabel, next));
}

function keyRow(page, app, key) {
  const deleteReason = key.is_default ? t('deleteKeyDefaultReason') : key.enabled ? t('deleteKeyEnabledReason') : '';
  return h('tr', { 'data-access-key': key.access_key },
    h('td', { 'data-label': t('name') }, key.name || '—', key.is_default ? [' ', badge(t('default'), 'info')] : null),
    h('td', { 'data-label': t('accessKey') }, h('code', null, key.access_key), copyButton(() => key.access_key, t('copyAccessKey'))),
    h('td', { 'data-label': t('secret') }, secretCell(page, key), graceNote(page, key)),
    h('td', { 'data-label': t('status') }, key.enabled ? badge(t('enabled'), 'ok') : badge(t('disabled'), 'off')),
    h('td', { 'data-label': t('expires') }, expiryCell(key.expires_at)),
    h('td', { 'data-label': t('lastUsed') }, formatTime(key.last_used_at)),
    h('td', { 'data-label': t('calls'), class: 'num' }, String(key.call_count)),
    h('td', { class: 'row-actions' },
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => attempt(async () => copyText(await summary(page, app, key))) }, t('copyAll')),
      h('button', { type: 'button', class: 'btn btn-small key-settings', onclick: () => openKeyPair(page, app, key) }, t('keyPairSettings')),
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => attempt(async () => {
        await patch(`/v1/keys/${encodeURIComponent(key.access_key)}`, { enabled: !key.enabled });
        toast(key.enabled ? t('keyDisabled') : t('keyEnabled'));
        await page.load();
      }) }, key.enabled ? t('disable') : t('enable')),
      moreMenu([
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => openRenameKey(page, key) }, t('rename')),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => openResetSecret(page, key) }, t('resetSecret')),
        h('button', { type: 'button', class: 'btn btn-small', onclick: () => openChangeAccessKey(page, key) }, t('changeAccessKey')),
        guardedButton(t('delete'), deleteReason, () => confirmDialog(t('deleteKeyConfirm', { key: key.access_key }), t('delete'),
          () => attempt(async () => {
            await del(`/v1/keys/${encodeURIComponent(key.access_key)}`);
            page.revealed.delete(key.access_key);
            toast(t('deleted'));
            await page.load();
          }), { danger: true }), { danger: true }),
      ])));
}

// The secret, masked until the eye reveals it (a logged reveal, once per page view).
function secretCell(page, key) {
  const shownAtFirst = page.revealed.has(key.access_key);
  const secretText = h('code', { class: shownAtFirst ? 'secret shown' : 'secret', 'data-access-key': key.access_key }, page.revealed.get(key.access_key) || MASK);
  const eye = h('button', {
    type: 'button', class: 'btn-icon reveal', 'aria-pressed': shownAtFirst ? 'true' : 'false',
    'aria-label': shownAtFirst ? t('hideSecret') : t('showSecret'), title: t('showSecretAudited'),
  }, icon(shownAtFirst ? 'eye-off' : 'eye'));
  eye.addEventListener('click', () => attempt(async () => {
    const show = eye.getAttribute('aria-pressed') !== 'true';
    secretText.textContent = show ? await secretOf(page, key.access_key) : MASK;
    secretText.classList.toggle('shown', show);
    eye.setAttribute('aria-pressed', show ? 'true' : 'false');
    eye.replaceChildren(icon(show ? 'eye-off' : 'eye'));
    eye.setAttribute('aria-label', show ? t('hideSecret') : t('showSecret'));
  }));
  return h('span', { class: 'secret-cell' }, secretText, eye,
    copyButton(() => attempt(() => secretOf(page, key.access_key)), t('copySecret')));
}

// During a rotation's grace: until when the previous secret verifies, and a way to end it.
function graceNote(page, key) {
  if (!key.previous_secret_expires_at) return null;
  return h('div', { class: 'muted' }, t('previousSecretUntil', { time: formatTime(key.previous_secret_expires_at) }), ' ',
    h('button', { type: 'button', class: 'btn btn-small', onclick: () => attempt(async () => {
      await post(`/v1/keys/${encodeURIComponent(key.access_key)}/end-grace`);
      toast(t('graceEnded'));
      await page.load();
    }) }, t('endGrace')));
}

function openAddKey(page, app) {
  dialog(t('addKeyPair'), async (body, close) => {
    const f = {
      name: field(t('name'), h('input', { type: 'text', id: 'key-name' })),
      access_key: field(t('customAccessKey'), h('input', { type: 'text', id: 'key-access-key', autocomplete: 'off', spellcheck: 'false' }), t('accessKeyHint')),
      secret: field(t('customSecret'), h('input', { type: 'text', id: 'key-secret', autocomplete: 'off', spellcheck: 'false' }), t('customSecretOptionalHint')),
      expires_at: field(t('expires'), h('input', { type: 'datetime-local', id: 'key-expires' }), t('optional')),
    };
    const form = h('form', { novalidate: true }, Object.values(f).map((x) => x.row),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')),
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('create'))));
    append(body, form);
    f.name.input.focus();
    const check = await liveCheck('CreateKey', { name: [f.name, true], access_key: [f.access_key, true], secret: [f.secret, true] });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!check()) return;
      const payload = {};
      if (f.name.input.value.trim()) payload.name = f.name.input.value.trim();
      if (f.access_key.input.value) payload.access_key = f.access_key.input.value;
      if (f.secret.input.value) payload.secret = f.secret.input.value;
      if (f.expires_at.input.value) payload.expires_at = localToIso(f.expires_at.input.value);
      try {
        const key = await post(`/v1/apps/${encodeURIComponent(app.app_id)}/keys`, payload);
        close();
        page.revealed.set(key.access_key, key.secret);
        showOnce(t('keyPairCreated'), [[t('accessKey'), key.access_key], [t('secret'), key.secret]]);
        await page.load();
      } catch (error) {
        if (!showFieldError(error, f)) toastError(error);
      }
    });
  });
}

function openRenameKey(page, key) {
  dialog(t('renameKeyPair'), (body, close) => {
    const name = field(t('name'), h('input', { type: 'text', value: key.name || '' }));
    const expires = field(t('expires'), h('input', { type: 'datetime-local', value: isoToLocal(key.expires_at) }), t('optional'));
    const form = h('form', null, name.row, expires.row,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')),
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('save'))));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const changes = { name: name.input.value.trim() };
        if (expires.input.value) changes.expires_at = localToIso(expires.input.value);
        await patch(`/v1/keys/${encodeURIComponent(key.access_key)}`, changes);
        close();
        await page.load();
      } catch (error) {
        if (!showFieldError(error, { name, expires_at: expires })) toastError(error);
      }
    });
    append(body, form);
    name.input.focus();
  });
}

function openResetSecret(page, key) {
  dialog(t('resetSecret'), (body, close) => {
    const grace = field(t('graceSeconds'), h('input', { type: 'number', min: 0, max: 604800, value: '0' }), t('graceHint'));
    const form = h('form', null, h('p', null, t('resetSecretLead', { key: key.access_key })), grace.row,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')),
        h('button', { type: 'submit', class: 'btn btn-danger' }, t('resetSecret'))));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        const seconds = Number(grace.input.value || 0);
        const answer = await post(`/v1/keys/${encodeURIComponent(key.access_key)}/reset-secret`,
          seconds ? { grace_seconds: seconds } : {});
        close();
        page.revealed.set(key.access_key, answer.secret);
        showOnce(t('newSecret'), [[t('accessKey'), answer.access_key], [t('secret'), answer.secret]]);
        await page.load();
      } catch (error) {
        if (!showFieldError(error, { grace_seconds: grace })) toastError(error);
      }
    });
    append(body, form);
  });
}

function openChangeAccessKey(page, key) {
  dialog(t('changeAccessKey'), async (body, close) => {
    const f = { access_key: field(t('newAccessKey'), h('input', { type: 'text', autocomplete: 'off', spellcheck: 'false' }), t('accessKeyHint')) };
    const form = h('form', { novalidate: true }, h('p', { class: 'warning' }, t('changeAccessKeyLead')), f.access_key.row,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')),
        h('button', { type: 'submit', class: 'btn btn-danger' }, t('changeAccessKey'))));
    append(body, form);
    f.access_key.input.focus();
    const check = await liveCheck('UpdateKey', { access_key: [f.access_key, false] });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!check()) return;
      try {
        const answer = await patch(`/v1/keys/${encodeURIComponent(key.access_key)}`, { access_key: f.access_key.input.value });
        close();
        page.revealed.delete(key.access_key);
        if (answer.secret) page.revealed.set(answer.access_key, answer.secret);
        showOnce(t('newSecret'), [[t('accessKey'), answer.access_key], [t('secret'), answer.secret]]);
        await page.load();
      } catch (error) {
        if (!showFieldError(error, f)) toastError(error);
      }
    });
  });
}

function appCodesSection(page, app) {
  const rows = app.appcodes.map((code) => h('tr', null,
    h('td', { 'data-label': t('appCodeId') }, h('code', null, code.appcode_id)),
    h('td', { 'data-label': t('created') }, formatTime(code.created_at)),
    h('td', { 'data-label': t('expires') }, expiryCell(code.expires_at)),
    h('td', { class: 'row-actions' }, h('button', { type: 'button', class: 'btn btn-small change-appcode', onclick: () => openChangeAppCode(page, code) }, t('changeAppCode')),
      h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: () => confirmDialog(
      t('deleteAppCodeConfirm'), t('delete'), () => attempt(async () => {
        await del(`/v1/appcodes/${encodeURIComponent(code.appcode_id)}`);
        toast(t('deleted'));
        await page.load();
      }), { danger: true }) }, t('delete')))));
  const create = () => {
    const go = (payload) => attempt(async () => {
      const answer = await post(`/v1/apps/${encodeURIComponent(app.app_id)}/appcodes`, payload);
      showOnce(t('appCodeCreated'), [[t('appCodeId'), answer.appcode_id], [t('appCode'), answer.appcode]]);
      await page.load();
    });
    dialog(t('createAppCode'), (body, close) => {
      const custom = field(t('customAppCode'), h('input', { type: 'text', id: 'appcode-custom', autocomplete: 'off', spellcheck: 'false' }), t('customAppCodeHint'));
      const expires = field(t('expires'), h('input', { type: 'datetime-local' }), t('optional'));
      const form = h('form', { novalidate: true }, custom.row, expires.row, h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')),
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('create'))));
      const check = liveCheck('CreateAppCode', { appcode: [custom, true] });
      form.addEventListener('submit', (event) => {
        event.preventDefault();
        if (!check()) return;
        const payload = expires.input.value ? { expires_at: localToIso(expires.input.value) } : {};
        if (custom.input.value) payload.appcode = custom.input.value;
        close();
        go(payload);
      });
      append(body, form);
    });
  };
  const headers = [t('appCodeId'), t('created'), t('expires'), t('actions')];
  return h('section', { class: 'card', 'aria-labelledby': 'appcodes-title', id: 'appcodes' },
    h('div', { class: 'section-head' }, h('h2', { id: 'appcodes-title' }, t('appCodes')),
      h('button', { type: 'button', class: 'btn', onclick: create }, t('createAppCode'))),
    h('p', { class: 'hint' }, t('appCodesLead')),
    table(headers, rows, { empty: t('noAppCodes') }));
}

// A new value for an AppCode (Alibaba lets an app change its AppCode): the old one stops.
function openChangeAppCode(page, code) {
  dialog(t('changeAppCode'), (body, close) => {
    const f = { appcode: field(t('newAppCode'), h('input', { type: 'text', id: 'appcode-new', autocomplete: 'off', spellcheck: 'false' }), t('newAppCodeHint')) };
    const form = h('form', { novalidate: true }, h('p', { class: 'warning' }, t('changeAppCodeLead', { id: code.appcode_id })), f.appcode.row,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')),
        h('button', { type: 'submit', class: 'btn btn-danger' }, t('changeAppCode'))));
    const check = liveCheck('UpdateAppCode', { appcode: [f.appcode, false] });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!check()) return;
      try {
        await patch(`/v1/appcodes/${encodeURIComponent(code.appcode_id)}`, { appcode: f.appcode.input.value });
        close();
        toast(t('appCodeChanged'));
        await page.load();
      } catch (error) {
        if (!showFieldError(error, f)) toastError(error);
      }
    });
    append(body, form);
  });
}

function whitelistSection(app) {
  const text = h('textarea', { id: 'whitelist', rows: 6, wrap: 'off', spellcheck: 'false', value: app.whitelist.join('\n') });
  const marks = h('ol', { class: 'line-marks', 'aria-label': t('whitelistCheck'), 'data-idle': t('whitelistCheckIdle') });
  const summaryBox = h('div', { class: 'field-error', id: 'whitelist-error', role: 'alert' });
  text.setAttribute('aria-describedby', 'whitelist-hint whitelist-error');
  const redraw = (errorLine, message) => {
    clear(marks);
    const lines = text.value.split('\n');
    lines.forEach((line, index) => {
      const bad = index === errorLine;
      marks.append(h('li', { class: bad ? 'mark bad' : 'mark', 'data-line': index + 1 },
        bad ? `✗ ${message}` : ''));
    });
    text.rows = Math.max(6, lines.length + 1);
    marks.classList.toggle('idle', errorLine < 0); // says what the pane is for
  };
  text.addEventListener('input', () => { redraw(-1); summaryBox.textContent = ''; text.removeAttribute('aria-invalid'); });
  text.addEventListener('scroll', () => { marks.scrollTop = text.scrollTop; });
  redraw(-1);
  const save = async () => {
    const lines = text.value.split('\n');
    const lineOf = []; // entry index -> line index (blank lines are not sent)
    const entries = [];
    lines.forEach((line, index) => {
      if (line.trim()) { lineOf.push(index); entries.push(line.trim()); }
    });
    try {
      const answer = await put(`/v1/apps/${encodeURIComponent(app.app_id)}/whitelist`, { entries });
      text.value = answer.entries.join('\n');
      redraw(-1);
      summaryBox.textContent = '';
      text.removeAttribute('aria-invalid');
      toast(t('whitelistSaved'));
    } catch (error) {
      if (error.status === 401) return;
      const match = /^entries\[(\d+)\]/.exec(error.field || '');
      if (match && lineOf[Number(match[1])] !== undefined) {
        const line = lineOf[Number(match[1])];
        const message = error.message.replace(/^entries\[\d+\]:\s*/, ''); // the line says which
        redraw(line, message);
        summaryBox.textContent = t('lineError', { line: line + 1, message });
        text.setAttribute('aria-invalid', 'true');
      } else {
        summaryBox.textContent = error.message;
      }
    }
  };
  return h('section', { class: 'card', 'aria-labelledby': 'whitelist-title', id: 'whitelist-section' },
    h('h2', { id: 'whitelist-title' }, t('ipWhitelist')),
    h('label', { for: 'whitelist' }, t('whitelistLabel')),
    h('p', { class: 'hint', id: 'whitelist-hint' }, t('whitelistHint')),
    h('div', { class: 'line-editor' }, text, marks),
    summaryBox,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn btn-primary', id: 'save-whitelist', onclick: save }, t('saveWhitelist'))));
}

// The grants this app holds. Only the account that made a grant may change or revoke it: the
// others' grants show who made them, and where to call.
function authorizationsSection(page, app) {
  const rows = app.authorizations.map((grant) => {
    const own = grant.provider_account_id === page.viewer;
    const apis = apisOf(page, app, grant);
    return h('tr', { 'data-authorization-id': grant.authorization_id },
      h('td', { 'data-label': t('target') }, grantTarget(page, app, grant)),
      h('td', { 'data-label': t('provider') }, own ? t('thisAccount') : named('', grant.provider_account_id)),
      h('td', { 'data-label': t('stages') }, stagesText(grant)),
      h('td', { 'data-label': t('until') }, expiryCell(grant.expires_at, untilText(grant))),
      h('td', { 'data-label': t('usage') }, usageBars(grant)),
      h('td', { 'data-label': t('callUrls') }, apis.length
        ? h('ul', { class: 'plain' }, apis.map((api) => {
          const link = callUrl(api);
          return h('li', null, h('span', { class: 'muted' }, `${apiLabel(api)} `), link ? [h('code', null, link), copyButton(() => link, t('copyCallUrl'))] : '—');
        }))
        : '—'),
      h('td', { class: 'row-actions' }, own
        ? [editGrantButton(grant, page.reload), revokeButton(grant, page.reload)]
        : h('span', { class: 'muted grant-owner-note' }, t('grantOfAnotherAccount'))));
  });
  const headers = [t('target'), t('provider'), t('stages'), t('until'), t('usage'), t('callUrls'), t('actions')];
  return h('section', { class: 'card', 'aria-labelledby': 'grants-title', id: 'authorizations' },
    h('div', { class: 'section-head' }, h('h2', { id: 'grants-title' }, t('authorizedApis')),
      h('button', { type: 'button', class: 'btn', id: 'authorize-app', onclick: () => openAuthorize({ appId: app.app_id, onDone: page.reload }) }, t('authorize'))),
    table(headers, rows, { empty: t('noAuthorizations') }));
}

// The APIs a grant covers: this account's from its catalog, another account's as the app's
// details name them (granted_apis).
function apisOf(page, app, grant) {
  if (grant.provider_account_id === page.viewer) return coveredApis(grant, page.catalog);
  return (app.granted_apis || []).filter((api) => api.authorization_id === grant.authorization_id);
}

function grantTarget(page, app, grant) {
  if (grant.provider_account_id === page.viewer) return targetText(grant, page.catalog);
  const apis = apisOf(page, app, grant);
  if (grant.api_id && apis.length) return `${t('api')}: ${apiLabel(apis[0])}`;
  return targetText(grant, null);
}

function openEdit(page, app) {
  dialog(t('editApp'), async (body, close) => {
    const f = appFields(app);
    const form = h('form', { novalidate: true }, Object.values(f).map((x) => x.row),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')),
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('save'))));
    append(body, form);
    const check = await liveCheck('UpdateApp', { name: [f.name, false], description: [f.description, true] });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const problems = ['tags', 'extension'].map((kind) => pairsError(kind, f[kind].input.value));
      problems.forEach((message, index) => setFieldError(f[['tags', 'extension'][index]], message));
      if (!check() || problems.some(Boolean)) return;
      try {
        await patch(`/v1/apps/${encodeURIComponent(app.app_id)}`, {
          name: f.name.input.value.trim(), description: f.description.input.value,
          tags: parsePairs(f.tags.input.value), extension: parsePairs(f.extension.input.value),
        });
        close();
        await page.load();
      } catch (error) {
        if (!showFieldError(error, f)) toastError(error);
      }
    });
  });
}
