// Names for the ids a record or an audit event carries (app, API, key pair, token, gateway):
// the name is shown, the id is on hover and one click from the clipboard.
import { get, getAll } from './api.js';
import { copyButton, h } from './dom.js';
import { t } from './i18n.js';
import { loadApis } from './pages/catalog.js';

// What the account can name, read once per page view; key pairs are asked for one by one
// (an account may have hundreds), once each.
export async function loadNames() {
  const [apps, catalog, tokens, gateways] = await Promise.all([
    getAll('/v1/apps').catch(() => []),
    loadApis().catch(() => ({ items: [], byId: new Map(), byGroup: new Map() })),
    getAll('/v1/tokens').catch(() => []),
    getAll('/v1/gateways').catch(() => []),
  ]);
  const keyNames = new Map();
  return {
    apps,
    catalog,
    app: new Map(apps.map((a) => [a.app_id, a.name])),
    api: new Map(catalog.items.map((api) => [api.api_id, api.name])),
    token: new Map(tokens.map((item) => [item.token_id, item.name])),
    gateway: new Map(gateways.map((g) => [g.gateway_id, g.name || ''])),
    // A key pair's name ('' when it has none, null when it is not this account's).
    async key(accessKey) {
      if (!accessKey) return null;
      if (!keyNames.has(accessKey)) {
        keyNames.set(accessKey, get(`/v1/keys/${encodeURIComponent(accessKey)}`)
          .then((key) => key.name || '', () => null));
      }
      return keyNames.get(accessKey);
    },
  };
}

// A name with its id on hover (and, unless copy is false, a button copying the id); the id
// alone when there is no name.
export function named(name, id, { kind = '', copy = true } = {}) {
  if (!id) return '—';
  if (!name) return h('code', { class: 'named-id', 'data-id': id }, id);
  return h('span', { class: 'named', 'data-id': id },
    h('span', { class: 'named-name', title: id }, name),
    copy ? copyButton(() => id, t('copyIdOf', { what: kind || t('id'), name })) : null);
}
