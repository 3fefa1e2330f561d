// One key pair's own settings (issue 21): the grants that belong to it alone (JD Cloud
// authorizes a caller's access key), its own IP whitelist (Jodoo keeps one per API key),
// checked besides the app's, and a custom secret (Alibaba lets an app bring its own AppSecret).
// Opened from the key pair's row on the app page.
import { patch, put } from '../api.js';
import { append, attempt, dialog, field, h, table, toast, toastError } from '../dom.js';
import { t } from '../i18n.js';
import { openAuthorize, revokeButton, stagesText, targetText, untilText } from './apis.js';
import { liveCheck, showFieldError } from './forms.js';
import { expiryCell, usageBars } from './marks.js';

// ``page`` is the app page (its catalog, its reload); ``app`` as the server has it now.
export function openKeyPair(page, app, key) {
  dialog(t('keyPairTitle', { key: key.access_key }), (body, close) => {
    const done = async () => { close(); await page.load(); };
    append(body, [
      h('p', { class: 'hint' }, t('keyPairLead')),
      grantsPart(page, app, key, done),
      whitelistPart(key),
      secretPart(page, key, done),
    ]);
  }, { wide: true });
}

function grantsPart(page, app, key, done) {
  const own = app.authorizations.filter((grant) => grant.access_key === key.access_key);
  const rows = own.map((grant) => h('tr', null,
    h('td', { 'data-label': t('target') }, targetText(grant, page.catalog)),
    h('td', { 'data-label': t('provider') }, h('code', null, grant.provider_account_id)),
    h('td', { 'data-label': t('stages') }, stagesText(grant)),
    h('td', { 'data-label': t('until') }, expiryCell(grant.expires_at, untilText(grant))),
    h('td', { 'data-label': t('usage') }, usageBars(grant)),
    h('td', { class: 'row-actions' }, grant.provider_account_id === app.account_id ? revokeButton(grant, done) : null)));
  const headers = [t('target'), t('provider'), t('stages'), t('until'), t('usage'), t('actions')];
  return h('section', { id: 'key-grants', 'aria-labelledby': 'key-grants-title' },
    h('div', { class: 'section-head' }, h('h3', { id: 'key-grants-title' }, t('keyGrants')),
      h('button', { type: 'button', class: 'btn', id: 'authorize-key',
        onclick: () => openAuthorize({ accessKey: key.access_key, catalog: page.catalog, onDone: done }) }, t('authorizeKeyPair'))),
    h('p', { class: 'hint' }, t('keyGrantsLead')),
    table(headers, rows, { empty: t('noKeyGrants') }));
}

function whitelistPart(key) {
  const text = h('textarea', { id: 'key-whitelist', rows: 4, wrap: 'off', spellcheck: 'false', value: (key.whitelist || []).join('\n') });
  const entries = field(t('keyWhitelist'), text, t('keyWhitelistHint'));
  const save = () => attempt(async () => {
    const lines = text.value.split('\n').map((line) => line.trim()).filter(Boolean);
    try {
      const answer = await put(`/v1/keys/${encodeURIComponent(key.access_key)}/whitelist`, { entries: lines });
      text.value = answer.entries.join('\n');
      entries.error.textContent = '';
      text.removeAttribute('aria-invalid');
      toast(t('whitelistSaved'));
    } catch (error) {
      if (!showFieldError(error, { entries })) toastError(error);
    }
  });
  return h('section', { id: 'key-whitelist-section' },
    h('h3', null, t('keyWhitelistTitle')), entries.row,
    h('div', { class: 'actions' }, h('button', { type: 'button', class: 'btn btn-primary', id: 'save-key-whitelist', onclick: save }, t('saveWhitelist'))));
}

function secretPart(page, key, done) {
  const f = { secret: field(t('customSecret'), h('input', { type: 'text', id: 'key-custom-secret', autocomplete: 'off', spellcheck: 'false' }), t('customSecretHint')) };
  const form = h('form', { novalidate: true, id: 'key-secret-form' }, f.secret.row,
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-danger' }, t('setSecret'))));
  const check = liveCheck('UpdateKey', { secret: [f.secret, false] });
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!check()) return;
    try {
      await patch(`/v1/keys/${encodeURIComponent(key.access_key)}`, { secret: f.secret.input.value });
      page.revealed.delete(key.access_key);
      toast(t('secretSet'));
      await done();
    } catch (error) {
      if (!showFieldError(error, f)) toastError(error);
    }
  });
  return h('section', { id: 'key-secret-section' }, h('h3', null, t('customSecretTitle')),
    h('p', { class: 'warning' }, t('customSecretLead')), form);
}
