// The console's shell: header, sign-in, hash router. Pages live in pages/*.js.
import { api, clearToken, onDescribe, onUnauthorized, setToken, token } from './api.js';
import { append, clear, closeDialogs, field, h } from './dom.js';
import { describe } from './errors.js';
import { LANGUAGES, language, setLanguage, t } from './i18n.js';
import * as admin from './pages/admin.js';
import * as apis from './pages/apis.js';
import * as appDetail from './pages/app.js';
import * as apps from './pages/apps.js';
import * as debuggerPage from './pages/debugger.js';
import * as records from './pages/records.js';

onDescribe(describe);

const ROOT_KEY = 'apiauth.root';
const OWN_ROOT_KEY = 'apiauth.ownRoot';
const session = {
  get isRoot() { return sessionStorage.getItem(ROOT_KEY) === 'true'; },
};
let signInReason = '';

const ROUTES = [
  [/^\/apps$/, apps.render],
  [/^\/apps\/([^/]+)$/, appDetail.render],
  [/^\/apis$/, apis.render],
  [/^\/records$/, records.render],
  [/^\/debugger$/, debuggerPage.render],
  [/^\/tokens$/, admin.renderTokens],
  [/^\/audit$/, admin.renderAudit],
  [/^\/accounts$/, admin.renderAccounts],
  [/^\/gateways$/, admin.renderGateways],
];
const PUBLIC = new Set(['/signin', '/debugger']);

function navItems() {
  const items = [
    ['#/apps', t('navApps')], ['#/apis', t('navApis')], ['#/records', t('navRecords')],
    ['#/debugger', t('navDebugger')], ['#/tokens', t('navTokens')], ['#/audit', t('navAudit')],
  ];
  if (session.isRoot) items.push(['#/accounts', t('navAccounts')], ['#/gateways', t('navGateways')]);
  return items;
}

function renderHeader(path) {
  const header = clear(document.getElementById('header'));
  const select = h('select', { id: 'lang', onchange: (event) => { setLanguage(event.target.value); route(); } },
    Object.entries(LANGUAGES).map(([code, { name }]) => h('option', { value: code, selected: code === language() }, name)));
  const signedIn = Boolean(token());
  append(header, [
    h('a', { class: 'brand', href: signedIn ? '#/apps' : '#/signin' }, t('brand')),
    signedIn ? h('nav', { 'aria-label': t('mainNav') }, h('ul', null, navItems().map(([href, label]) =>
      h('li', null, h('a', { href, 'aria-current': path.startsWith(href.slice(1)) ? 'page' : null }, label))))) : null,
    h('div', { class: 'header-tools' },
      h('label', { for: 'lang', class: 'sr-only' }, t('language')), select,
      signedIn ? h('button', { type: 'button', class: 'btn btn-small', id: 'signout', onclick: signOut }, t('signOut'))
        : path !== '/signin' ? h('a', { href: '#/signin', class: 'btn btn-small' }, t('signIn')) : null),
  ]);
}

function signOut() {
  clearToken();
  sessionStorage.removeItem(ROOT_KEY);
  sessionStorage.removeItem(OWN_ROOT_KEY);
  signInReason = t('signedOut');
  location.hash = '#/signin';
}

onUnauthorized(() => {
  // The root token cannot be revoked through the API: refused, it means the server restarted
  // (the local run prints a new one each start). Another token may have been revoked instead.
  // A page's calls run at once: the first refusal says why, the others find the tab signed out.
  if (!token()) return;
  const wasRoot = sessionStorage.getItem(OWN_ROOT_KEY) === 'true';
  clearToken();
  sessionStorage.removeItem(ROOT_KEY);
  sessionStorage.removeItem(OWN_ROOT_KEY);
  closeDialogs();
  signInReason = wasRoot ? t('serverRestarted') : t('tokenRefused');
  if (location.hash !== '#/signin') location.hash = '#/signin';
  else route();
});

// Proves a token with one admin call. The token list says whether this is the root's account
// and, when it holds root tokens only (the local run's first minutes, or the address `make run`
// printed), that this token is the root token itself: the one no one can revoke.
async function signInWith(value, { printed = false } = {}) {
  const answer = await api('GET', '/v1/tokens', { query: { limit: 200 }, bearer: value });
  setToken(value);
  sessionStorage.setItem(ROOT_KEY, String(answer.items.some((item) => item.is_root)));
  sessionStorage.setItem(OWN_ROOT_KEY, String(printed || answer.items.every((item) => item.is_root)));
  signInReason = '';
}

function renderSignIn(main) {
  const tokenField = field(t('adminToken'), h('input', {
    type: 'password', id: 'token', autocomplete: 'off', spellcheck: 'false', required: true,
  }), t('tokenHint'));
  const submit = h('button', { type: 'submit', class: 'btn btn-primary' }, t('signIn'));
  const form = h('form', { class: 'card narrow', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, t('signInTitle')),
    signInReason ? h('p', { class: 'notice', role: 'alert', id: 'signin-reason' }, signInReason) : null,
    tokenField.row,
    h('div', { class: 'actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = tokenField.input.value.trim();
    if (!value) return;
    submit.disabled = true;
    try {
      await signInWith(value);
      location.hash = '#/apps';
    } catch (error) {
      tokenField.error.textContent = error.status === 401 ? t('tokenRejected') : error.message;
      tokenField.input.setAttribute('aria-invalid', 'true');
    } finally {
      submit.disabled = false;
    }
  });
  append(main, form);
  tokenField.input.focus();
}

let generation = 0;

export async function route() {
  // #/records?app_id=... : the query is the page's own (filters), not part of the route.
  const path = location.hash.replace(/^#/, '').split('?')[0] || '/apps';
  const current = ++generation;
  if (!token() && !PUBLIC.has(path)) {
    if (location.hash !== '#/signin') {
      location.hash = '#/signin';
      return;
    }
  }
  renderHeader(path);
  const main = clear(document.getElementById('main'));
  document.title = `${t('brand')}`;
  if (path === '/signin') {
    renderSignIn(main);
    return;
  }
  for (const [pattern, render] of ROUTES) {
    const match = path.match(pattern);
    if (match) {
      try {
        await render(main, match.slice(1).map(decodeURIComponent), { session, isCurrent: () => current === generation });
      } catch (error) {
        if (error && error.status === 401) return;
        if (current === generation) append(main, h('p', { class: 'notice', role: 'alert' }, error.message || String(error)));
      }
      return;
    }
  }
  append(main, h('p', null, t('notFound')));
}

// Back closes a dialog (dom.js); a page that opens one and then goes elsewhere (a copied
// app's secret, shown once, then its page) keeps it open there.
window.addEventListener('hashchange', route);

// `make run` prints the console's address as .../console#token=<root token>: the fragment
// never reaches a server (so no log holds it); it is taken into this tab and removed from
// the address bar and the history entry at once.
async function start() {
  const given = location.hash.match(/^#token=([^&]+)/);
  if (given) {
    history.replaceState(null, '', `${location.pathname}${location.search}#/apps`);
    try {
      await signInWith(decodeURIComponent(given[1]), { printed: true });
    } catch (error) {
      clearToken();
      signInReason = error.status === 401 ? t('tokenRejected') : error.message;
      history.replaceState(null, '', `${location.pathname}${location.search}#/signin`);
    }
  }
  route();
}

start();
