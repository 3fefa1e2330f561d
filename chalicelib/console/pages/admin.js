// Admin tokens, the audit trail, and for the root token: accounts and gateways.
import { del, get, getAll, patch, post } from '../api.js';
import {
  append, attempt, badge, clear, confirmDialog, dialog, field, formatTime, h, localToIso, showOnce, table,
  toast, toastError,
} from '../dom.js';
import { t } from '../i18n.js';
import { loadNames, named } from '../names.js';
import { pager } from './apps.js';
import { showFieldError } from './forms.js';

function simpleForm(fields, submitLabel, onSubmit) {
  const form = h('form', { class: 'toolbar', novalidate: true }, Object.values(fields).map((x) => x.row),
    h('button', { type: 'submit', class: 'btn btn-primary' }, submitLabel));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      await onSubmit();
      form.reset();
    } catch (error) {
      if (error.status !== 401 && !showFieldError(error, fields)) toastError(error);
    }
  });
  return form;
}

export async function renderTokens(main, _params, ctx) {
  const list = h('div');
  const load = async () => {
    const items = await getAll('/v1/tokens');
    if (!ctx.isCurrent()) return;
    const rows = items.map((item) => h('tr', null,
      h('td', { 'data-label': t('name') }, item.name),
      h('td', { 'data-label': t('tokenId') }, h('code', null, item.token_id)),
      h('td', { 'data-label': t('account') }, h('code', null, item.account_id)),
      h('td', { 'data-label': t('kind') }, item.is_root ? badge(t('root'), 'info') : t('regular')),
      h('td', { 'data-label': t('created') }, formatTime(item.created_at)),
      h('td', { class: 'row-actions' }, item.is_root ? h('span', { class: 'muted' }, t('rootNotRevocable'))
        : h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: () => confirmDialog(
          t('revokeTokenConfirm', { name: item.name }), t('revoke'), () => attempt(async () => {
            await del(`/v1/tokens/${encodeURIComponent(item.token_id)}`);
            toast(t('revoked'));
            await load();
          }), { danger: true }) }, t('revoke')))));
    clear(list).append(table([t('name'), t('tokenId'), t('account'), t('kind'), t('created'), t('actions')], rows, { caption: t('adminTokens') }));
  };
  const f = { name: field(t('newTokenName'), h('input', { type: 'text', id: 'token-name', required: true })) };
  append(main, [
    h('h1', null, t('adminTokens')),
    h('p', { class: 'lead' }, t('tokensLead')),
    simpleForm(f, t('createToken'), async () => {
      const created = await post('/v1/tokens', { name: f.name.input.value.trim() });
      showOnce(t('tokenCreated'), [[t('tokenId'), created.token_id], [t('token'), created.token]]);
      await load();
    }),
    list,
  ]);
  await load();
}

export async function renderAccounts(main) {
  const f = { name: field(t('accountName'), h('input', { type: 'text', id: 'account-name', required: true })) };
  append(main, [
    h('h1', null, t('accounts')),
    h('p', { class: 'lead' }, t('accountsLead')),
    simpleForm(f, t('createAccount'), async () => {
      const created = await post('/v1/accounts', { name: f.name.input.value.trim() });
      showOnce(t('accountCreated', { name: created.name }), [[t('account'), created.account_id], [t('token'), created.token]]);
    }),
  ]);
}

export async function renderGateways(main, _params, ctx) {
  const items = await getAll('/v1/gateways');
  if (!ctx.isCurrent()) return undefined;
  const reload = () => { clear(main); return renderGateways(main, _params, ctx); };
  const rows = items.map((g) => h('tr', null,
    h('td', { 'data-label': t('gatewayId') }, h('code', null, g.gateway_id)),
    h('td', { 'data-label': t('name') }, g.name || '—'),
    h('td', { 'data-label': t('account') }, h('code', null, g.account_id)),
    h('td', { 'data-label': t('baseUrl') }, g.base_url ? h('code', null, g.base_url) : '—'),
    h('td', { 'data-label': t('gatewayType') }, gatewayKind(g)),
    h('td', { class: 'row-actions' },
      h('button', { type: 'button', class: 'btn btn-small', onclick: () => editGateway(g, reload) }, t('edit')),
      h('button', { type: 'button', class: 'btn btn-small btn-danger', onclick: () => confirmDialog(
        t('deleteGatewayConfirm', { id: g.gateway_id }), t('delete'), () => attempt(async () => {
          await del(`/v1/gateways/${encodeURIComponent(g.gateway_id)}`);
          toast(t('deleted'));
          await reload();
        }), { danger: true }) }, t('delete')))));
  const f = {
    gateway_id: field(t('gatewayId'), h('input', { type: 'text', required: true, spellcheck: 'false' }), t('gatewayIdHint')),
    account_id: field(t('account'), h('input', { type: 'text', required: true, spellcheck: 'false' })),
    name: field(t('name'), h('input', { type: 'text' }), t('optional')),
    base_url: field(t('baseUrl'), h('input', { type: 'url', spellcheck: 'false' }), t('optional')),
    ...gatewayTypeFields(),
  };
  append(main, [
    h('h1', null, t('gateways')),
    h('p', { class: 'lead' }, t('gatewaysLead')),
    simpleForm(f, t('bindGateway'), async () => {
      const payload = {};
      for (const [name, x] of Object.entries(f)) if (x.input.value.trim()) payload[name] = x.input.value.trim();
      delete payload.simple_responses;
      Object.assign(payload, gatewayTypeValues(f));
      await post('/v1/gateways', payload);
      toast(t('saved'));
      await reload();
    }),
    table([t('gatewayId'), t('name'), t('account'), t('baseUrl'), t('gatewayType'), t('actions')], rows, { caption: t('gateways') }),
  ]);
  return undefined;
}

// A REST API, or an HTTP API (API Gateway v2) whose authorizer answers simply or with a policy.
function gatewayKind(gateway) {
  if (gateway.type !== 'http') return t('gatewayTypeRest');
  return `${t('gatewayTypeHttp')} (${gateway.simple_responses === false ? t('iamPolicy') : t('simpleResponses')})`;
}

function gatewayTypeFields(gateway) {
  const type = h('select', { name: 'type' },
    h('option', { value: 'rest', selected: !gateway || gateway.type !== 'http' }, t('gatewayTypeRest')),
    h('option', { value: 'http', selected: !!gateway && gateway.type === 'http' }, t('gatewayTypeHttp')));
  const simple = gateway ? gateway.simple_responses !== false : true;
  const answer = h('select', { name: 'simple_responses' },
    h('option', { value: 'true', selected: simple }, t('simpleResponses')),
    h('option', { value: 'false', selected: !simple }, t('iamPolicy')));
  const fields = {
    type: field(t('gatewayType'), type),
    simple_responses: field(t('answerShape'), answer, t('answerShapeHint')),
  };
  const sync = () => { fields.simple_responses.row.style.display = type.value === 'http' ? '' : 'none'; };
  type.addEventListener('change', sync);
  sync();
  return fields;
}

function gatewayTypeValues(f) {
  const values = { type: f.type.input.value };
  if (values.type === 'http') values.simple_responses = f.simple_responses.input.value === 'true';
  return values;
}

function editGateway(gateway, reload) {
  dialog(t('edit'), (body, close) => {
    const f = {
      name: field(t('name'), h('input', { type: 'text', value: gateway.name || '' })),
      base_url: field(t('baseUrl'), h('input', { type: 'url', value: gateway.base_url || '' })),
      ...gatewayTypeFields(gateway),
    };
    const form = h('form', null, Object.values(f).map((x) => x.row), h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')),
      h('button', { type: 'submit', class: 'btn btn-primary' }, t('save'))));
    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      try {
        await patch(`/v1/gateways/${encodeURIComponent(gateway.gateway_id)}`, {
          name: f.name.input.value.trim(), base_url: f.base_url.input.value.trim() || null, ...gatewayTypeValues(f),
        });
        close();
        await reload();
      } catch (error) {
        if (!showFieldError(error, f)) toastError(error);
      }
    });
    append(body, form);
  });
}

export async function renderAudit(main, _params, ctx) {
  const f = {
    action: field(t('action'), h('input', { type: 'text', id: 'audit-action', spellcheck: 'false' })),
    object_id: field(t('objectId'), h('input', { type: 'text', id: 'audit-object', spellcheck: 'false' })),
    token_id: field(t('tokenId'), h('input', { type: 'text', id: 'audit-token', spellcheck: 'false' })),
    from: field(t('from'), h('input', { type: 'datetime-local', step: 1 })),
    to: field(t('to'), h('input', { type: 'datetime-local', step: 1 })),
  };
  const list = h('div');
  const state = { cursors: [null] };
  const names = await loadNames();
  if (!ctx.isCurrent()) return;
  const load = async () => {
    let answer;
    try {
      answer = await get('/v1/audit', {
        action: f.action.input.value.trim(), object_id: f.object_id.input.value.trim(), token_id: f.token_id.input.value.trim(),
        from: localToIso(f.from.input.value), to: localToIso(f.to.input.value), limit: 50,
        cursor: state.cursors[state.cursors.length - 1],
      });
    } catch (error) {
      if (error.status !== 401 && !showFieldError(error, f)) toastError(error);
      return;
    }
    if (!ctx.isCurrent()) return;
    const rows = await Promise.all(answer.items.map(async (event) => h('tr', null,
      h('td', { 'data-label': t('time') }, formatTime(event.time)),
      h('td', { 'data-label': t('action') }, event.action),
      h('td', { 'data-label': t('object'), class: 'col-object' }, `${event.object_type || ''} `,
        named(await objectName(names, event), event.object_id, { kind: t('objectId') })),
      h('td', { 'data-label': t('tokenId'), class: 'col-token' }, named(names.token.get(event.token_id), event.token_id, { kind: t('tokenId') })),
      h('td', { 'data-label': t('changes') }, event.changes ? h('code', null, JSON.stringify(event.changes)) : '—'))));
    if (!ctx.isCurrent()) return;
    clear(list);
    append(list, [table([t('time'), t('action'), t('object'), t('token'), t('changes')], rows, { caption: t('audit') }),
      pager(state, answer.next_cursor, load)]);
  };
  const form = h('form', { class: 'filters' }, Object.values(f).map((x) => x.row),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary' }, t('apply'))));
  form.addEventListener('submit', (event) => { event.preventDefault(); state.cursors = [null]; load(); });
  append(main, [h('h1', null, t('audit')), h('p', { class: 'lead' }, t('auditLead')), form, list]);
  await load();
}

// The name of an audit event's object as this account knows it now, else as the event wrote it.
async function objectName(names, event) {
  const id = event.object_id;
  const written = event.changes && typeof event.changes.name === 'string' ? event.changes.name : '';
  const kind = event.object_type;
  if (kind === 'app') return names.app.get(id) || written;
  if (kind === 'api') return names.api.get(id) || written;
  if (kind === 'token') return names.token.get(id) || written;
  if (kind === 'gateway') return names.gateway.get(id) || written;
  if (kind === 'key') return (await names.key(id)) || written;
  if (kind === 'whitelist') return names.app.get(id) || (id.startsWith('app-') ? '' : await names.key(id)) || written;
  return written;
}
