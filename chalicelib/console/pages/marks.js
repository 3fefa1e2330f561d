// What the app, apps and APIs pages mark on a row: each limit window's use (a bar, used /
// limit, when it resets), what expires within SOON_DAYS, and a name with its id on hover and copy.
import { get, token } from '../api.js';
import { badge, copyButton, formatTime, h } from '../dom.js';
import { language, t } from '../i18n.js';

export const SOON_DAYS = 14;
const DAY_MS = 24 * 60 * 60 * 1000;

const number = (n) => Number(n).toLocaleString(language());

// Days left before `iso` (0 today or past), or null when it is not within SOON_DAYS.
export function daysLeft(iso, now = Date.now()) {
  if (!iso) return null;
  const at = Date.parse(iso);
  if (Number.isNaN(at) || at - now > SOON_DAYS * DAY_MS) return null;
  return Math.max(0, Math.ceil((at - now) / DAY_MS));
}

// A badge for a time within SOON_DAYS (or past); nothing otherwise.
export function expiryMark(iso, now = Date.now()) {
  const days = daysLeft(iso, now);
  if (days === null) return null;
  const expired = Date.parse(iso) <= now;
  const text = expired ? t('expired') : days <= 1 ? t('expiresWithinADay') : t('expiresInDays', { n: days });
  const mark = badge(text, expired ? 'bad' : 'warn');
  mark.classList.add('expiry');
  mark.title = formatTime(iso);
  return mark;
}

// The expiry cell of a key pair, an AppCode or a grant: the time, and the mark when soon.
export function expiryCell(iso, empty = '—') {
  const mark = expiryMark(iso);
  return [iso ? formatTime(iso) : empty, mark ? [' ', mark] : null];
}

// Each limited window: its name, a bar, "used / limit", what is left and when it resets.
export function usageBars(grant) {
  const windows = Object.keys(grant.limits || {});
  if (!windows.length) return h('span', { class: 'muted' }, t('noLimits'));
  return h('ul', { class: 'usage' }, windows.map((window) => {
    const limit = grant.limits[window];
    const use = (grant.usage && grant.usage[window]) || { used: 0, remaining: limit, resets_at: null };
    const label = t(window);
    const line = t('usageLine', { used: number(use.used), limit: number(limit), left: number(use.remaining) });
    return h('li', null,
      h('div', { class: 'usage-text', 'data-window': window },
        h('strong', null, label), ' ', line,
        use.resets_at ? h('span', { class: 'muted' }, ' · ', t('resetsAt', { time: formatTime(use.resets_at) })) : null),
      h('meter', {
        class: 'usage-meter', 'data-window': window, min: 0, max: limit, value: use.used,
        low: Math.floor(limit * 0.7), high: Math.floor(limit * 0.9), optimum: 0,
        'aria-label': `${label}: ${line}`,
      }));
  }));
}

// A name, with its id on hover and a button copying the id; the id alone where no name is known.
export function named(name, id) {
  if (!name) return h('span', { class: 'named' }, h('code', null, id), copyButton(() => id, t('copyId')));
  return h('span', { class: 'named', title: id }, name, copyButton(() => id, t('copyId')));
}

// The signed-in account (its tokens name it): asked once per token.
const viewers = new Map();
export function viewerAccount() {
  const key = token() || '';
  if (!viewers.has(key)) {
    viewers.set(key, get('/v1/tokens', { limit: 1 })
      .then((answer) => (answer.items[0] ? answer.items[0].account_id : null))
      .catch(() => { viewers.delete(key); return null; }));
  }
  return viewers.get(key);
}
