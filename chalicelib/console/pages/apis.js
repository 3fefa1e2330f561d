// APIs by gateway and group (list, create, edit, delete), the authorizations this account
// granted, and the authorize dialog (an API, a group or all; stages; an end date; any app by id).
import { del, get, getAll, patch, post } from '../api.js';
import {
  append, attempt, clear, confirmDialog, copyButton, dialog, field, formatTime, h, isoToLocal, localToIso,
  table, toast, toastError,
} from '../dom.js';
import { t } from '../i18n.js';
import { apiLabel, callUrl, loadApis } from './catalog.js';
import { enumOf, liveCheck, showFieldError } from './forms.js';
import { expiryCell, named, usageBars, viewerAccount } from './marks.js';

// The stages and limit windows a grant may name, as the server's document declares them.
const grantChoices = () => Promise.all([enumOf('CreateAuthorization', 'stages'), enumOf('AuthorizationView', 'limits')])
  .then(([stages, windows]) => ({ stages, windows }));

export function targetText(grant, catalog) {
  // A key pair's own grant says so, beside the pair it covers (its access key now).
  const pair = grant.access_key ? ` · ${t('keyPairOnly', { key: grant.access_key })}` : '';
  if (grant.api_id) {
    const api = catalog && catalog.byId.get(grant.api_id);
    return (api ? `${t('api')}: ${apiLabel(api)}` : `${t('api')}: ${grant.api_id}`) + pair;
  }
  if (grant.group) return `${t('group')}: ${grant.group}${pair}`;
  return t('allApis') + pair;
}

// What the caller typed in the authorize dialog: an app ID (app-...) or an access key.
const ACCESS_KEY = /^[A-Za-z0-9]{8,32}$/;
export function grantee(value) {
  const text = value.trim();
  if (!text) return null;
  if (text.startsWith('app-')) return { app_id: text };
  return ACCESS_KEY.test(text) ? { access_key: text } : { app_id: text };
}

export const stagesText = (grant) => (grant.stages || []).join(', ');
export const untilText = (grant) => (grant.expires_at ? formatTime(grant.expires_at) : t('noEnd'));

// Stages, end date and limits of an existing authorization.
export function editGrantButton(grant, onDone) {
  return h('button', { type: 'button', class: 'btn btn-small grant-edit', onclick: () => dialog(t('editAuthorization'), async (body, close) => {
    const { stages, windows } = await grantChoices();
    const stageSet = h('fieldset', null, h('legend', null, t('stages')),
      stages.map((stage) => h('div', { class: 'check' },
        h('input', { type: 'checkbox', id: `edit-stage-${stage}`, name: 'stage', value: stage, checked: (grant.stages || []).includes(stage) }),
        h('label', { for: `edit-stage-${stage}` }, stage))));
    const until = field(t('until'), h('input', { type: 'datetime-local', id: 'edit-until', value: isoToLocal(grant.expires_at) }), t('untilHint'));
    const current = grant.limits || {};
    const limitFields = Object.fromEntries(windows.map((w) => [w,
      field(t(w), h('input', { type: 'number', min: 1, step: 1, value: current[w] ?? '' }))]));
    const formError = h('div', { class: 'field-error', role: 'alert' });
    const form = h('form', { novalidate: true }, h('p', null, targetText(grant)), stageSet, until.row,
      h('details', null, h('summary', null, t('limitsOptional')), h('div', { class: 'grid4' }, Object.values(limitFields).map((f) => f.row))),
      formError,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')),
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('save'))));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      const payload = { stages: [...form.querySelectorAll('input[name=stage]:checked')].map((box) => box.value) };
      if (until.input.value) payload.expires_at = localToIso(until.input.value);
      const limits = {};
      for (const [w, f] of Object.entries(limitFields)) if (f.input.value) limits[w] = Number(f.input.value);
      if (Object.keys(limits).length) payload.limits = limits;
      try {
        await patch(`/v1/authorizations/${encodeURIComponent(grant.authorization_id)}`, payload);
        close();
        toast(t('saved'));
        await onDone();
      } catch (error) {
        if (error.status === 401) return;
        if (!showFieldError(error, { expires_at: until })) formError.textContent = error.message;
      }
    });
    append(body, form);
  }) }, t('edit'));
}

export function revokeButton(grant, onDone) {
  return h('button', { type: 'button', class: 'btn btn-small btn-danger grant-revoke', onclick: () => confirmDialog(
    t('revokeConfirm'), t('revoke'), () => attempt(async () => {
      await del(`/v1/authorizations/${encodeURIComponent(grant.authorization_id)}`);
      toast(t('revoked'));
      await onDone();
    }), { danger: true }) }, t('revoke'));
}

// The root token lists every account's gateways; an API can be registered only on the
// viewer's own, so only those are offered.
async function loadGateways() {
  const [answer, me] = await Promise.all([get('/v1/gateways', { limit: 200 }), viewerAccount()]);
  return me ? answer.items.filter((g) => g.account_id === me) : answer.items;
}

export async function render(main, _params, ctx) {
  const [catalog, gateways] = await Promise.all([loadApis(), loadGateways()]);
  if (!ctx.isCurrent()) return;
  const gatewayFilter = field(t('gateway'), h('select', { id: 'filter-gateway' },
    h('option', { value: '' }, t('any')), gateways.map((g) => h('option', { value: g.gateway_id }, g.name || g.gateway_id))));
  const groupFilter = field(t('group'), h('select', { id: 'filter-group' }));
  // The groups of the catalog as it is now (a new API may bring a new group); the choice is kept.
  const fillGroups = () => {
    const chosen = groupFilter.input.value;
    groupFilter.input.replaceChildren(h('option', { value: '' }, t('any')),
      ...[...catalog.byGroup.keys()].sort().map((g) => h('option', { value: g, selected: g === chosen }, g)));
  };
  fillGroups();
  const list = h('div');
  const grants = h('div');
  const draw = () => {
    const gateway = gatewayFilter.input.value;
    const group = groupFilter.input.value;
    const shown = catalog.items.filter((api) => (!gateway || api.gateway_id === gateway) && (!group || api.group === group));
    const rows = shown.map((api) => {
      const link = callUrl(api);
      return h('tr', null,
        h('td', { 'data-label': t('name') }, api.name, h('div', { class: 'muted mono' }, api.api_id)),
        h('td', { 'data-label': t('route') }, h('code', null, `${api.method} ${api.path}`)),
        h('td', { 'data-label': t('group') }, api.group || '—'),
        h('td', { 'data-label': t('gateway') }, api.gateway_id),
        h('td', { 'data-label': t('callUrl') }, link ? [h('code', null, link), copyButton(() => link, t('copyCallUrl'))] : '—'),
        h('td', { class: 'row-actions' },
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => openAuthorize({ apiId: api.api_id, catalog, onDone: drawGrants }) }, t('authorize')),
          h('a', { class: 'btn btn-small', href: `#/records?api_id=${encodeURIComponent(api.api_id)}` }, t('callRecords')),
          h('button', { type: 'button', class: 'btn btn-small', onclick: () => openApi(api, gateways, reload) }, t('edit')),
          h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: () => confirmDialog(
            t('deleteApiConfirm', { name: api.name }), t('delete'), () => attempt(async () => {
              await del(`/v1/apis/${encodeURIComponent(api.api_id)}`);
              toast(t('deleted'));
              await reload();
            }), { danger: true }) }, t('delete'))));
    });
    const headers = [t('name'), t('route'), t('group'), t('gateway'), t('callUrl'), t('actions')];
    clear(list).append(table(headers, rows, { caption: t('apis'), empty: t('noApis') }));
  };
  async function drawGrants() {
    // Names of the account's own apps; another account's app shows only its id.
    const [items, apps] = await Promise.all([getAll('/v1/authorizations'), getAll('/v1/apps').catch(() => [])]);
    const appNames = new Map(apps.map((app) => [app.app_id, app.name]));
    const rows = items.map((grant) => h('tr', { 'data-authorization-id': grant.authorization_id },
      h('td', { 'data-label': t('app') }, named(appNames.get(grant.app_id), grant.app_id),
        grant.access_key ? [h('br'), h('code', { class: 'muted' }, grant.access_key)] : null),
      h('td', { 'data-label': t('target') }, targetText(grant, catalog)),
      h('td', { 'data-label': t('stages') }, stagesText(grant)),
      h('td', { 'data-label': t('until') }, expiryCell(grant.expires_at, untilText(grant))),
      h('td', { 'data-label': t('usage') }, usageBars(grant)),
      h('td', { 'data-label': t('created') }, formatTime(grant.created_at)),
      h('td', { class: 'row-actions' }, editGrantButton(grant, drawGrants), revokeButton(grant, drawGrants))));
    const headers = [t('app'), t('target'), t('stages'), t('until'), t('usage'), t('created'), t('actions')];
    clear(grants).append(table(headers, rows, { empty: t('noAuthorizations') }));
  }
  async function reload() {
    const fresh = await loadApis();
    Object.assign(catalog, fresh);
    fillGroups();
    draw();
  }
  [gatewayFilter, groupFilter].forEach((f) => f.input.addEventListener('change', draw));
  append(main, [
    h('div', { class: 'page-head' }, h('h1', null, t('apis')),
      h('div', { class: 'head-actions' },
        h('button', { type: 'button', class: 'btn', id: 'authorize-open', onclick: () => openAuthorize({ catalog, onDone: drawGrants }) }, t('authorize')),
        h('button', { type: 'button', class: 'btn btn-primary', id: 'create-api', onclick: () => openApi(null, gateways, reload) }, t('createApi')))),
    h('div', { class: 'toolbar' }, gatewayFilter.row, groupFilter.row),
    list,
    h('h2', null, t('grantedAuthorizations')),
    h('p', { class: 'hint' }, t('grantedLead')),
    grants,
  ]);
  draw();
  await drawGrants();
}

function openApi(api, gateways, reload) {
  dialog(api ? t('editApi') : t('createApi'), async (body, close) => {
    const methods = await enumOf('CreateApi', 'method');
    const f = {
      name: field(t('name'), h('input', { type: 'text', value: api ? api.name : '' })),
      method: field(t('method'), h('select', null, methods.map((m) => h('option', { value: m, selected: api ? api.method === m : m === 'GET' }, m)))),
      path: field(t('path'), h('input', { type: 'text', value: api ? api.path : '', placeholder: '/orders/{id}', spellcheck: 'false' }), t('pathHint')),
      group: field(t('group'), h('input', { type: 'text', value: api && api.group ? api.group : '' }), t('optional')),
      description: field(t('description'), h('textarea', { rows: 2, value: api ? api.description : '' })),
    };
    if (gateways.length && !api) {
      f.gateway_id = field(t('gateway'), h('select', null, gateways.map((g) => h('option', { value: g.gateway_id }, g.name || g.gateway_id))));
    }
    const form = h('form', { novalidate: true }, Object.values(f).map((x) => x.row),
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')),
        h('button', { type: 'submit', class: 'btn btn-primary' }, api ? t('save') : t('create'))));
    append(body, form);
    f.name.input.focus();
    const check = await liveCheck(api ? 'UpdateApi' : 'CreateApi',
      { name: [f.name, Boolean(api)], path: [f.path, Boolean(api)], group: [f.group, true] });
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (!check()) return;
      const payload = {
        name: f.name.input.value.trim(), method: f.method.input.value, path: f.path.input.value.trim(),
        description: f.description.input.value,
      };
      if (f.group.input.value.trim()) payload.group = f.group.input.value.trim();
      if (f.gateway_id) payload.gateway_id = f.gateway_id.input.value;
      try {
        if (api) await patch(`/v1/apis/${encodeURIComponent(api.api_id)}`, payload);
        else await post('/v1/apis', payload);
        close();
        toast(t('saved'));
        await reload();
      } catch (error) {
        if (!showFieldError(error, f)) toastError(error);
      }
    });
  });
}

// Authorize an app or one key pair: preset appId (from its page), accessKey (from a key pair's
// dialog) or apiId (from the APIs table).
export function openAuthorize({ appId, accessKey, apiId, catalog, onDone }) {
  dialog(t('authorizeTitle'), async (body, close) => {
    const cat = catalog || await loadApis();
    const myApps = await getAll('/v1/apps').catch(() => []);
    const groups = [...cat.byGroup.keys()].sort();
    const { stages, windows } = await grantChoices();
    const radio = (name, value, label, checked) => {
      const id = `${name}-${value}`;
      return h('div', { class: 'radio' }, h('input', { type: 'radio', name, id, value, checked }), h('label', { for: id }, label));
    };
    // Target
    const targetApi = field(t('api'), h('select', { id: 'grant-api' }, cat.items.map((api) => h('option', { value: api.api_id, selected: api.api_id === apiId }, apiLabel(api)))));
    const targetGroup = field(t('group'), h('select', { id: 'grant-group' }, groups.map((g) => h('option', { value: g }, g))));
    const targetSet = h('fieldset', null, h('legend', null, t('authorizeFor')),
      radio('target', 'api', t('oneApi'), Boolean(apiId) || !groups.length),
      targetApi.row,
      radio('target', 'group', t('aGroup'), !apiId && Boolean(groups.length)),
      targetGroup.row,
      radio('target', 'all', t('allMyApis'), false));
    // App
    const ownApp = field(t('myApp'), h('select', { id: 'grant-my-app' }, myApps.map((a) => h('option', { value: a.app_id, selected: a.app_id === appId }, `${a.name} (${a.app_id})`))));
    const otherApp = field(t('otherAppId'), h('input', { type: 'text', id: 'grant-other-app', spellcheck: 'false', autocomplete: 'off' }), t('otherAppHint'));
    // Says which it got: an app (all its key pairs and AppCodes) or one key pair alone.
    const seen = h('div', { class: 'hint grantee-kind', id: 'grantee-kind', 'aria-live': 'polite' });
    otherApp.row.insertBefore(seen, otherApp.error);
    const showKind = () => {
      const found = grantee(otherApp.input.value);
      seen.textContent = !found ? '' : found.access_key ? t('granteeIsKey', { key: found.access_key }) : t('granteeIsApp', { id: found.app_id });
    };
    otherApp.input.addEventListener('input', showKind);
    const ownsPreset = !accessKey && (!appId || myApps.some((a) => a.app_id === appId));
    if (appId && !ownsPreset) otherApp.input.value = appId;
    if (accessKey) otherApp.input.value = accessKey;
    showKind();
    const appSet = h('fieldset', null, h('legend', null, t('whichApp')),
      radio('appsource', 'mine', t('oneOfMyApps'), ownsPreset), ownApp.row,
      radio('appsource', 'other', t('anotherAccountsApp'), !ownsPreset), otherApp.row);
    // Stages, end, limits
    const stageSet = h('fieldset', null, h('legend', null, t('stages')),
      stages.map((stage) => h('div', { class: 'check' },
        h('input', { type: 'checkbox', id: `stage-${stage}`, name: 'stage', value: stage, checked: true }),
        h('label', { for: `stage-${stage}` }, stage))));
    const until = field(t('until'), h('input', { type: 'datetime-local', id: 'grant-until' }), t('untilHint'));
    const limitFields = Object.fromEntries(windows.map((w) => [w, field(t(w), h('input', { type: 'number', min: 1, step: 1, id: `limit-${w}` }))]));
    const limitsSet = h('details', null, h('summary', null, t('limitsOptional')),
      h('div', { class: 'grid4' }, Object.values(limitFields).map((f) => f.row)));
    const formError = h('div', { class: 'field-error', role: 'alert' });
    const form = h('form', { novalidate: true, id: 'authorize-form' }, targetSet, appSet, stageSet, until.row, limitsSet, formError,
      h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')),
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('authorize'))));
    append(body, form);
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      formError.textContent = '';
      const target = form.querySelector('input[name=target]:checked').value;
      const source = form.querySelector('input[name=appsource]:checked').value;
      const payload = source === 'mine' ? { app_id: ownApp.input.value } : (grantee(otherApp.input.value) || { app_id: '' });
      if (target === 'api') payload.api_id = targetApi.input.value;
      else if (target === 'group') payload.group = targetGroup.input.value;
      else payload.all = true;
      payload.stages = [...form.querySelectorAll('input[name=stage]:checked')].map((box) => box.value);
      if (until.input.value) payload.expires_at = localToIso(until.input.value);
      const limits = {};
      for (const [w, f] of Object.entries(limitFields)) if (f.input.value) limits[w] = Number(f.input.value);
      if (Object.keys(limits).length) payload.limits = limits;
      try {
        await post('/v1/authorizations', payload);
        close();
        toast(t('authorized'));
        if (onDone) await onDone();
      } catch (error) {
        if (error.status === 401) return;
        const named = source === 'mine' ? ownApp : otherApp;
        if (!showFieldError(error, { expires_at: until, app_id: named, access_key: named })) formError.textContent = error.message;
      }
    });
  }, { wide: true });
}
