// Call records: the stats chart and the filtered, paged table; a row opens the whole record.
import { get } from '../api.js';
import { append, badge, clear, copyButton, dialog, field, formatTime, h, localToIso, setFieldError, table, toastError } from '../dom.js';
import { t } from '../i18n.js';
import { stackedBars } from '../chart.js';
import { loadNames, named } from '../names.js';
import { pager } from './apps.js';
import { queryExamples, showFieldError } from './forms.js';

// Every result a record may have (success, failure and each verdict code), from the document.
const verdictCodes = () => queryExamples('/v1/call-records', 'get', 'result')
  .then((results) => results.filter((r) => r !== 'success' && r !== 'failure'));

// An axis label: the time of day, with the date when asked (the range spans days).
function tick(bucket) {
  return (time, withDate) => {
    const date = new Date(time);
    const lang = document.documentElement.lang || undefined;
    if (bucket === 'day') return date.toLocaleDateString(lang, { month: '2-digit', day: '2-digit' });
    const clock = { hour: '2-digit', minute: '2-digit', hour12: false };
    return withDate ? date.toLocaleString(lang, { month: '2-digit', day: '2-digit', ...clock }) : date.toLocaleTimeString(lang, clock);
  };
}

// Milliseconds -> <input type="datetime-local" step="1"> value (local time, seconds).
function localInput(ms) {
  const date = new Date(ms);
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}`;
}

const isoMs = (ms) => new Date(ms).toISOString();

// Pages of reads a request-id search goes on by itself before it leaves it to Next.
const SEARCH_HOPS = 20;

export async function render(main, _params, ctx) {
  const [names, codes] = await Promise.all([loadNames(), verdictCodes()]);
  if (!ctx.isCurrent()) return;
  const { catalog, apps: myApps } = names;
  const params = new URLSearchParams(location.hash.split('?')[1] || '');
  const f = {
    result: field(t('result'), h('select', { id: 'filter-result' },
      h('option', { value: '' }, t('allResults')), h('option', { value: 'success' }, t('success')),
      h('option', { value: 'failure' }, t('failure')),
      h('optgroup', { label: t('failureCodes') }, codes.map((code) => h('option', { value: code }, code))))),
    from: field(t('from'), h('input', { type: 'datetime-local', id: 'filter-from', step: 1 })),
    to: field(t('to'), h('input', { type: 'datetime-local', id: 'filter-to', step: 1 })),
    app: field(t('app'), h('input', { type: 'text', id: 'filter-app', list: 'my-apps', spellcheck: 'false', value: params.get('app_id') || '' }), t('appFilterHint')),
    api: field(t('api'), h('select', { id: 'filter-api' }, h('option', { value: '' }, t('any')),
      catalog.items.map((api) => h('option', { value: api.api_id, selected: api.api_id === params.get('api_id') }, `${api.name} (${api.method} ${api.path})`)))),
    key: field(t('accessKey'), h('input', { type: 'text', id: 'filter-key', spellcheck: 'false' })),
    request: field(t('requestId'), h('input', { type: 'text', id: 'filter-request', spellcheck: 'false' }), t('requestIdHint')),
  };
  // The form's fields by the API's names (a 400 names one of these).
  const fieldsByName = { result: f.result, from: f.from, to: f.to, app_id: f.app, api_id: f.api, access_key: f.key };
  const bucket = field(t('bucket'), h('select', { id: 'bucket' },
    ['minute', 'hour', 'day'].map((b) => h('option', { value: b }, t(`bucket_${b}`)))));
  const form = h('form', { class: 'filters', 'aria-label': t('filters') }, Object.values(f).map((x) => x.row),
    h('datalist', { id: 'my-apps' }, myApps.map((a) => h('option', { value: a.app_id }, a.name))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'apply-filters' }, t('apply'))));
  const chartBox = h('div', { id: 'chart', 'aria-live': 'polite' });
  const tableBox = h('div', { id: 'records' });
  const pickBox = h('div', { id: 'chart-pick', class: 'chart-pick', 'aria-live': 'polite' });
  // pick: the bucket a click on the chart chose ({from, to} to the millisecond); the form's
  // own from/to show it to the second and replace it once edited and applied.
  const state = { cursors: [null], pick: null };

  const filters = () => ({
    result: f.result.input.value,
    from: state.pick ? state.pick.from : localToIso(f.from.input.value),
    to: state.pick ? state.pick.to : localToIso(f.to.input.value),
    app_id: f.app.input.value.trim(),
    api_id: f.api.input.value,
    access_key: f.key.input.value.trim(),
    request_id: f.request.input.value.trim(),
  });

  async function loadChart() {
    const q = filters();
    const scope = q.app_id ? { app_id: q.app_id } : q.api_id ? { api_id: q.api_id } : {};
    const label = q.app_id ? t('chartForApp', { id: names.app.get(q.app_id) || q.app_id })
      : q.api_id ? t('chartForApi', { id: names.api.get(q.api_id) || q.api_id }) : t('chartForAccount');
    try {
      const stats = await get('/v1/call-records/stats', { ...scope, from: q.from, to: q.to, bucket: bucket.input.value });
      const nameOf = (result) => (result === 'success' ? t('success') : result);
      clear(chartBox).append(h('h2', { class: 'small' }, label),
        stackedBars(stats, {
          label, formatTick: tick(stats.bucket), width: chartBox.clientWidth, nameOf, onPick: pick,
          countText: (n) => t('callsN', { n }),
        }),
        h('p', { class: 'hint' }, t('chartPickHint')));
    } catch (error) {
      // A filter the server refused is said once, under its field (loadTable).
      if (error.status === 401) return;
      clear(chartBox);
      if (!(error.status === 400 && error.field in fieldsByName)) chartBox.append(h('p', { class: 'notice' }, error.message));
    }
  }

  // A bar clicked: the table shows that bucket's calls of that result (all results for the bar).
  function pick({ start, end, result }) {
    state.pick = { from: isoMs(start), to: isoMs(end - 1) };
    state.cursors = [null];
    f.from.input.value = localInput(start);
    f.to.input.value = localInput(end - 1000);
    if (result && ![...f.result.input.options].some((o) => o.value === result)) {
      f.result.input.append(h('option', { value: result }, result));
    }
    f.result.input.value = result;
    for (const bar of chartBox.querySelectorAll('.bar')) bar.classList.toggle('picked', bar.getAttribute('data-time') === isoMs(start));
    const what = result ? (result === 'success' ? t('success') : result) : t('allResults');
    clear(pickBox).append(
      h('span', null, t('chartPicked', { from: formatTime(start), to: formatTime(end), result: what })),
      h('button', { type: 'button', class: 'btn btn-small', id: 'clear-pick', onclick: unpick }, t('showAllCalls')));
    loadTable();
  }

  function unpick() {
    state.pick = null;
    state.cursors = [null];
    f.from.input.value = '';
    f.to.input.value = '';
    f.result.input.value = '';
    clear(pickBox);
    for (const bar of chartBox.querySelectorAll('.bar.picked')) bar.classList.remove('picked');
    loadTable();
  }

  // The newest load wins: an older answer (a refresh, the page before a bar was clicked)
  // arriving late must not draw over the table the person asked for last.
  let tableLoads = 0;
  async function loadTable() {
    tableLoads += 1;
    const mine = tableLoads;
    const current = () => ctx.isCurrent() && mine === tableLoads;
    const q = filters();
    const page = (cursor) => get('/v1/call-records', { ...q, limit: 50, cursor });
    let answer;
    let read = 0;
    try {
      answer = await page(state.cursors[state.cursors.length - 1]);
      read += answer.scanned_count || 0;
      // An allowed call's request id is looked for among the successes, newest first, a
      // page of reads at a time: go on by itself for a while, then leave it to Next.
      for (let hop = 0; q.request_id && !answer.items.length && answer.next_cursor && hop < SEARCH_HOPS; hop += 1) {
        if (!current()) return;
        clear(tableBox).append(h('p', { class: 'hint', role: 'status' }, t('requestIdSearching', { n: read })));
        answer = await page(answer.next_cursor);
        read += answer.scanned_count || 0;
      }
    } catch (error) {
      if (error.status !== 401 && current() && !showFieldError(error, fieldsByName)) toastError(error);
      return;
    }
    if (!current()) return;
    const keyNames = new Map(await Promise.all([...new Set(answer.items.map((r) => r.access_key).filter(Boolean))]
      .map(async (key) => [key, await names.key(key)])));
    if (!current()) return;
    const rows = answer.items.map((record) => {
      const keyName = keyNames.get(record.access_key);
      const row = h('tr', { class: 'clickable', tabindex: 0, 'data-result': record.result, title: t('openRecord') },
        h('td', { 'data-label': t('time') }, formatTime(record.time)),
        h('td', { 'data-label': t('method') }, record.method || '—'),
        h('td', { 'data-label': t('path') }, h('code', null, record.path || '—')),
        h('td', { 'data-label': t('api'), class: 'col-api' }, named(names.api.get(record.api_id), record.api_id, { copy: false })),
        h('td', { 'data-label': t('app'), class: 'col-app' }, named(names.app.get(record.app_id), record.app_id, { copy: false })),
        h('td', { 'data-label': t('keyPair'), class: 'col-key' }, named(keyName, record.access_key, { copy: false })),
        h('td', { 'data-label': t('ip') }, record.source_ip || '—'),
        h('td', { 'data-label': t('stage') }, record.stage || '—'),
        h('td', { 'data-label': t('result') }, record.result === 'success' ? badge(t('success'), 'ok') : badge(record.result, 'bad')),
        h('td', { 'data-label': t('latency'), class: 'num' }, record.latency_ms === null ? '—' : `${record.latency_ms} ms`));
      const open = () => openRecord(record, names, keyName);
      row.addEventListener('click', open);
      row.addEventListener('keydown', (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); open(); } });
      return row;
    });
    clear(tableBox);
    append(tableBox, [
      table([t('time'), t('method'), t('path'), t('api'), t('app'), t('keyPair'), t('ip'), t('stage'), t('result'), t('latency')],
        rows, { caption: t('callRecords'), empty: t('noRecords') }),
      q.request_id && !answer.items.length && answer.next_cursor
        ? h('p', { class: 'hint', id: 'request-id-further' }, t('requestIdFurther', { n: read })) : null,
      h('p', { class: 'hint' }, t('retention', { days: answer.retention_days ?? '—' })),
      pager(state, answer.next_cursor, loadTable),
    ]);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    state.cursors = [null];
    state.pick = null;
    clear(pickBox);
    for (const x of Object.values(f)) setFieldError(x, '');
    loadChart();
    loadTable();
  });
  bucket.input.addEventListener('change', loadChart);
  append(main, [
    h('div', { class: 'page-head' }, h('h1', null, t('callRecords')),
      h('button', { type: 'button', class: 'btn', id: 'refresh-records', onclick: () => { loadChart(); loadTable(); } }, t('refresh'))),
    form,
    h('section', { class: 'card', 'aria-label': t('chart') }, h('div', { class: 'toolbar' }, bucket.row), chartBox),
    pickBox,
    tableBox,
  ]);
  await Promise.all([loadChart(), loadTable()]);
}

// The whole record; each id with the name it has in this account and a copy button (the
// table names them, the ids on hover: a click there opens this).
function openRecord(record, names, keyName) {
  const nameOf = { app_id: names.app.get(record.app_id), api_id: names.api.get(record.api_id), access_key: keyName };
  dialog(t('callRecord'), (body) => {
    body.append(h('dl', { class: 'kv', id: 'record-detail' }, Object.entries(record).map(([name, value]) => [
      h('dt', null, name), h('dd', { 'data-field': name }, h('code', null, value === null ? '—' : String(value)),
        name in nameOf && value ? copyButton(() => String(value), `${t('copy')} ${name}`) : null,
        nameOf[name] ? h('span', { class: 'muted' }, ` ${nameOf[name]}`) : null)])));
  }, { wide: true });
}
