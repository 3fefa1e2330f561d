// Call records: the stats chart and the filtered, paged table; a row opens the whole record.
import { get, getAll } from '../api.js';
import { append, badge, clear, dialog, field, formatTime, h, localToIso, table, toastError } from '../dom.js';
import { t } from '../i18n.js';
import { stackedBars } from '../chart.js';
import { pager } from './apps.js';
import { loadApis } from './catalog.js';
import { queryExamples } from './forms.js';

// Every result a record may have (success, failure and each verdict code), from the document.
const verdictCodes = () => queryExamples('/v1/call-records', 'get', 'result')
  .then((results) => results.filter((r) => r !== 'success' && r !== 'failure'));

function tick(bucket) {
  return (time) => {
    const date = new Date(time);
    const lang = document.documentElement.lang || undefined;
    if (bucket === 'day') return date.toLocaleDateString(lang, { month: '2-digit', day: '2-digit' });
    if (bucket === 'hour') return date.toLocaleString(lang, { month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hour12: false });
    return date.toLocaleTimeString(lang, { hour: '2-digit', minute: '2-digit', hour12: false });
  };
}

export async function render(main, _params, ctx) {
  const [catalog, myApps, codes] = await Promise.all([
    loadApis().catch(() => ({ items: [], byId: new Map() })),
    getAll('/v1/apps').catch(() => []),
    verdictCodes(),
  ]);
  if (!ctx.isCurrent()) return;
  const appNames = new Map(myApps.map((a) => [a.app_id, a.name]));
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
  const bucket = field(t('bucket'), h('select', { id: 'bucket' },
    ['minute', 'hour', 'day'].map((b) => h('option', { value: b }, t(`bucket_${b}`)))));
  const form = h('form', { class: 'filters', 'aria-label': t('filters') }, Object.values(f).map((x) => x.row),
    h('datalist', { id: 'my-apps' }, myApps.map((a) => h('option', { value: a.app_id }, a.name))),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'btn btn-primary', id: 'apply-filters' }, t('apply'))));
  const chartBox = h('div', { id: 'chart', 'aria-live': 'polite' });
  const tableBox = h('div', { id: 'records' });
  const state = { cursors: [null] };

  const filters = () => ({
    result: f.result.input.value,
    from: localToIso(f.from.input.value),
    to: localToIso(f.to.input.value),
    app_id: f.app.input.value.trim(),
    api_id: f.api.input.value,
    access_key: f.key.input.value.trim(),
    request_id: f.request.input.value.trim(),
  });

  async function loadChart() {
    const q = filters();
    const scope = q.app_id ? { app_id: q.app_id } : q.api_id ? { api_id: q.api_id } : {};
    const label = q.app_id ? t('chartForApp', { id: q.app_id }) : q.api_id ? t('chartForApi', { id: q.api_id }) : t('chartForAccount');
    try {
      const stats = await get('/v1/call-records/stats', { ...scope, from: q.from, to: q.to, bucket: bucket.input.value });
      const nameOf = (result) => (result === 'success' ? t('success') : result);
      clear(chartBox).append(h('h2', { class: 'small' }, label),
        stackedBars(stats, { label, formatTick: tick(stats.bucket), width: chartBox.clientWidth, nameOf }));
    } catch (error) {
      if (error.status !== 401) clear(chartBox).append(h('p', { class: 'notice' }, error.message));
    }
  }

  async function loadTable() {
    let answer;
    try {
      answer = await get('/v1/call-records', { ...filters(), limit: 50, cursor: state.cursors[state.cursors.length - 1] });
    } catch (error) {
      if (error.status !== 401) toastError(error);
      return;
    }
    if (!ctx.isCurrent()) return;
    const rows = answer.items.map((record) => {
      const api = catalog.byId.get(record.api_id);
      const row = h('tr', { class: 'clickable', tabindex: 0, 'data-result': record.result, title: t('openRecord') },
        h('td', { 'data-label': t('time') }, formatTime(record.time)),
        h('td', { 'data-label': t('method') }, record.method || '—'),
        h('td', { 'data-label': t('path') }, h('code', null, record.path || '—')),
        h('td', { 'data-label': t('api') }, api ? api.name : record.api_id || '—'),
        h('td', { 'data-label': t('app') }, appNames.get(record.app_id) || record.app_id || '—'),
        h('td', { 'data-label': t('accessKey') }, h('code', null, record.access_key || '—')),
        h('td', { 'data-label': t('ip') }, record.source_ip || '—'),
        h('td', { 'data-label': t('stage') }, record.stage || '—'),
        h('td', { 'data-label': t('result') }, record.result === 'success' ? badge(t('success'), 'ok') : badge(record.result, 'bad')),
        h('td', { 'data-label': t('latency'), class: 'num' }, record.latency_ms === null ? '—' : `${record.latency_ms} ms`));
      const open = () => openRecord(record);
      row.addEventListener('click', open);
      row.addEventListener('keydown', (event) => { if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); open(); } });
      return row;
    });
    clear(tableBox);
    append(tableBox, [
      table([t('time'), t('method'), t('path'), t('api'), t('app'), t('accessKey'), t('ip'), t('stage'), t('result'), t('latency')],
        rows, { caption: t('callRecords'), empty: t('noRecords') }),
      h('p', { class: 'hint' }, t('retention', { days: answer.retention_days ?? '—' })),
      pager(state, answer.next_cursor, loadTable),
    ]);
  }

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    state.cursors = [null];
    loadChart();
    loadTable();
  });
  bucket.input.addEventListener('change', loadChart);
  append(main, [
    h('div', { class: 'page-head' }, h('h1', null, t('callRecords')),
      h('button', { type: 'button', class: 'btn', id: 'refresh-records', onclick: () => { loadChart(); loadTable(); } }, t('refresh'))),
    form,
    h('section', { class: 'card', 'aria-label': t('chart') }, h('div', { class: 'toolbar' }, bucket.row), chartBox),
    tableBox,
  ]);
  await Promise.all([loadChart(), loadTable()]);
}

function openRecord(record) {
  dialog(t('callRecord'), (body) => {
    body.append(h('dl', { class: 'kv', id: 'record-detail' }, Object.entries(record).map(([name, value]) => [
      h('dt', null, name), h('dd', null, h('code', null, value === null ? '—' : String(value)))])));
  }, { wide: true });
}

