// Small DOM helpers. API data only ever enters the page as text nodes or attribute values.
import { t } from './i18n.js';

const PROPERTIES = new Set(['value', 'checked', 'disabled', 'selected', 'hidden', 'multiple', 'required']);

export function h(tag, props, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'class') element.className = value;
    else if (name.startsWith('on') && typeof value === 'function') {
      element.addEventListener(name.slice(2), value);
    } else if (PROPERTIES.has(name)) element[name] = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(element, children) {
  for (const child of [children].flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

export function clear(element) {
  while (element.firstChild) element.firstChild.remove();
  return element;
}

const SVG = 'http://www.w3.org/2000/svg';

export function svg(tag, attrs, ...children) {
  const element = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value !== undefined && value !== null) element.setAttribute(name, String(value));
  }
  for (const child of [children].flat(Infinity)) {
    if (child === undefined || child === null) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

const ICONS = {
  eye: 'M1 12s4-7 11-7 11 7 11 7-4 7-11 7S1 12 1 12z M12 9a3 3 0 1 0 0 6 3 3 0 1 0 0-6z',
  'eye-off': 'M3 3l18 18 M10.6 5.1A11 11 0 0 1 12 5c7 0 11 7 11 7a18 18 0 0 1-3.2 4.1 M6.6 6.6A18 18 0 0 0 1 12s4 7 11 7a10 10 0 0 0 5.4-1.6 M9.9 9.9a3 3 0 0 0 4.2 4.2',
  copy: 'M9 9h11v11H9z M5 15H4V4h11v1',
};

export function icon(name) {
  return svg('svg', { viewBox: '0 0 24 24', width: 16, height: 16, 'aria-hidden': 'true', class: 'icon' },
    svg('path', { d: ICONS[name], fill: 'none', stroke: 'currentColor', 'stroke-width': 2, 'stroke-linecap': 'round' }));
}

// While a modal dialog is open the rest of the page is inert and under its backdrop: a toast
// then goes into the dialog's own box (fixed like the page's), where it is seen and hovered.
function toastBox() {
  const dialogs = document.querySelectorAll('dialog[open]');
  const top = dialogs[dialogs.length - 1];
  if (!top) return document.getElementById('toasts');
  let box = top.querySelector(':scope > .toasts');
  if (!box) {
    box = h('div', { class: 'toasts', role: 'status', 'aria-live': 'polite' });
    top.append(box);
  }
  return box;
}

export function toast(message, kind = 'info', { title } = {}) {
  const item = h('div', { class: `toast toast-${kind}`, role: kind === 'error' ? 'alert' : null, title }, message);
  toastBox().append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 8000 : 3000);
  return item;
}

// The sentence in the page's language (api.js made it); the server's words on hover.
export function toastError(error) {
  const message = error && error.message ? error.message : String(error);
  const detail = error && error.detail && error.detail !== message ? `${error.code}: ${error.detail}` : undefined;
  return toast(message, 'error', { title: detail });
}

// Runs an action, showing the API's message on failure; resolves to undefined then.
export async function attempt(action) {
  try {
    return await action();
  } catch (error) {
    if (error && error.status === 401) return undefined; // main.js sends the user to sign-in
    toastError(error);
    return undefined;
  }
}

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    toast(t('copied'));
  } catch (error) {
    toast(t('copyFailed'), 'error');
  }
}

export function copyButton(getText, label) {
  return h('button', {
    type: 'button', class: 'btn-icon', title: label || t('copy'), 'aria-label': label || t('copy'),
    onclick: async () => copyText(await getText()),
  }, icon('copy'));
}

// Each open dialog has a history entry of its own: the browser's Back closes the dialog
// (and stays on the page); closing it otherwise takes its entry back out, unless the page
// has moved on meanwhile (a dialog that ends by going to another page keeps that page).
// Ids only grow, so an entry closes exactly the dialogs opened after it.
let lastDialogId = 0;
let historySettled = Promise.resolve();

// A page going elsewhere by setting location.hash fires popstate too: that one leaves the
// address, while Back from a dialog's entry comes back to the address it was opened at.
window.addEventListener('popstate', (event) => {
  const current = (event.state && event.state.dialogId) || 0;
  for (const node of [...document.querySelectorAll('dialog[open][data-dialog-id]')]) {
    if (Number(node.dataset.dialogId) > current && node.dataset.openedAt === location.href) node.close();
  }
});

// Every open dialog, closed (a sign-out, a refused token).
export function closeDialogs() {
  for (const node of [...document.querySelectorAll('dialog[open]')]) node.close();
}

function dropHistoryEntry(id) {
  // After the code that closed the dialog has run: it may have navigated on purpose.
  setTimeout(() => {
    if (!(history.state && history.state.dialogId === id)) return;
    historySettled = new Promise((resolve) => {
      window.addEventListener('popstate', () => resolve(), { once: true });
      history.back();
    });
  }, 0);
}

// A dialog's toasts outlive it: on close they move to the page's own box, so "Saved" or an
// error shown just before closing stays readable for its time.
function keepToasts(node) {
  const box = node.querySelector(':scope > .toasts');
  if (box && box.children.length) document.getElementById('toasts').append(...box.children);
}

// A modal <dialog>: Escape and Back close it, focus stays inside while open.
export function dialog(title, build, { wide = false } = {}) {
  const close = () => { keepToasts(node); if (node.open) node.close(); node.remove(); };
  const heading = h('h2', { id: `dlg-${Math.random().toString(36).slice(2)}` }, title);
  const body = h('div', { class: 'dialog-body' });
  lastDialogId += 1;
  const id = lastDialogId;
  const node = h('dialog', { class: wide ? 'dialog wide' : 'dialog', 'aria-labelledby': heading.id, 'data-dialog-id': id },
    h('div', { class: 'dialog-head' }, heading,
      h('button', { type: 'button', class: 'btn-icon', 'aria-label': t('close'), onclick: close }, '×')),
    body);
  node.addEventListener('close', () => {
    keepToasts(node);
    node.remove();
    dropHistoryEntry(id);
  });
  node.dataset.openedAt = location.href;
  document.body.append(node);
  build(body, close);
  node.showModal();
  historySettled.then(() => {
    if (node.open) history.pushState({ ...(history.state || {}), dialogId: id }, '');
  });
  // Start on the first field (showModal alone would focus the close button).
  const first = body.querySelector('input:not([type=hidden]):not([type=radio]), select, textarea');
  if (first) first.focus();
  return { node, close };
}

export function confirmDialog(message, confirmLabel, onConfirm, { danger = false } = {}) {
  dialog(t('confirm'), (body, close) => {
    append(body, [
      h('p', null, message),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn', onclick: close }, t('cancel')),
        h('button', {
          type: 'button', class: danger ? 'btn btn-danger' : 'btn btn-primary',
          onclick: async () => { close(); await onConfirm(); },
        }, confirmLabel)),
    ]);
  });
}

// A value shown once (a secret, an AppCode, a token), with the warning to copy it now.
export function showOnce(title, rows) {
  dialog(title, (body, close) => {
    append(body, [
      h('p', { class: 'warning', role: 'alert' }, t('copyNowWarning')),
      h('dl', { class: 'kv' }, rows.map(([label, value]) => [
        h('dt', null, label),
        h('dd', null, h('code', { class: 'once-value' }, value), copyButton(() => value, `${t('copy')} ${label}`)),
      ])),
      h('div', { class: 'actions' },
        h('button', { type: 'button', class: 'btn btn-primary', onclick: close }, t('savedIt'))),
    ]);
  });
}

let fieldCounter = 0;

// A labelled form field; returns { row, input, error } so callers can show per-field messages.
export function field(label, input, hint) {
  fieldCounter += 1;
  const id = input.id || `f${fieldCounter}`;
  input.id = id;
  const error = h('div', { class: 'field-error', id: `${id}-error`, 'aria-live': 'polite' });
  const describedBy = [`${id}-error`];
  let hintNode = null;
  if (hint) {
    hintNode = h('div', { class: 'hint', id: `${id}-hint` }, hint);
    describedBy.push(hintNode.id);
  }
  input.setAttribute('aria-describedby', describedBy.join(' '));
  const row = h('div', { class: 'field' }, h('label', { for: id }, label), input, hintNode, error);
  return { row, input, error };
}

export function setFieldError(f, message) {
  f.error.textContent = message || '';
  if (message) f.input.setAttribute('aria-invalid', 'true');
  else f.input.removeAttribute('aria-invalid');
}

export function formatTime(value) {
  if (!value) return '—';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toLocaleString(document.documentElement.lang || undefined, { hour12: false });
}

// <input type="datetime-local"> value (local time) -> ISO UTC string the API takes.
export function localToIso(value) {
  if (!value) return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

// ISO UTC string -> <input type="datetime-local"> value (local time).
export function isoToLocal(value) {
  if (!value) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function badge(text, kind) {
  return h('span', { class: `badge badge-${kind}` }, text);
}

// "k=v" lines <-> object (tags, extension fields).
export function parsePairs(text) {
  const result = {};
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const at = line.indexOf('=');
    if (at < 0) result[line.trim()] = '';
    else result[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return result;
}

export function formatPairs(object) {
  return Object.entries(object || {}).map(([k, v]) => `${k}=${v}`).join('\n');
}

export function table(headers, rows, { caption, empty } = {}) {
  const head = h('thead', null, h('tr', null, headers.map((name) => h('th', { scope: 'col' }, name))));
  const body = h('tbody', null, rows);
  if (!rows.length) {
    body.append(h('tr', null, h('td', { colspan: headers.length, class: 'empty' }, empty || t('nothingHere'))));
  }
  return h('div', { class: 'table-wrap' },
    h('table', null, caption ? h('caption', null, caption) : null, head, body));
}

// A row's less frequent actions behind a "More" button (<details>: keyboard and screen reader
// support built in). Choosing one closes it, as do a click elsewhere and Escape.
export function moreMenu(items) {
  const menu = h('details', { class: 'more-actions' },
    h('summary', { class: 'btn btn-small' }, t('moreActions')), h('div', { class: 'menu' }, items));
  menu.addEventListener('toggle', () => placeMenu(menu));
  menu.addEventListener('click', (event) => {
    if (event.target.closest('.menu button')) menu.open = false;
  });
  menu.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && menu.open) {
      menu.open = false;
      menu.querySelector('summary').focus();
    }
  });
  return menu;
}

document.addEventListener('click', (event) => {
  for (const menu of document.querySelectorAll('details.more-actions[open]')) {
    if (!menu.contains(event.target)) menu.open = false;
  }
});

// Under its button, right edges aligned; above it if it would leave the window.
function placeMenu(menu) {
  if (!menu.open) return;
  const list = menu.querySelector('.menu');
  const button = menu.querySelector('summary').getBoundingClientRect();
  const below = button.bottom + 4;
  const fits = below + list.offsetHeight <= innerHeight;
  list.style.top = `${fits ? below : Math.max(4, button.top - 4 - list.offsetHeight)}px`;
  list.style.right = `${Math.max(4, document.documentElement.clientWidth - button.right)}px`;
}

// A fixed menu follows its button when the page or a table scrolls.
const placeOpenMenus = () => document.querySelectorAll('details.more-actions[open]').forEach(placeMenu);
document.addEventListener('scroll', placeOpenMenus, { capture: true, passive: true });
window.addEventListener('resize', placeOpenMenus);

// A button that is shown but refuses with a reason (delete while enabled): still focusable,
// so the reason reaches keyboard and screen-reader users, not only a hover title.
export function guardedButton(label, reason, action, { danger = false } = {}) {
  const classes = danger ? 'btn btn-danger btn-small' : 'btn btn-small';
  if (!reason) return h('button', { type: 'button', class: classes, onclick: action }, label);
  return h('button', {
    type: 'button', class: `${classes} is-unavailable`, 'aria-disabled': 'true', title: reason,
    onclick: () => toast(reason, 'error'),
  }, label);
}
