// Stacked bars as SVG, drawn here (a few dozen lines beat a vendored chart library):
// one bar per time bucket, successes at the bottom, each failure code stacked above.
import { h, svg } from './dom.js';

const SPAN = { minute: 60e3, hour: 3600e3, day: 86400e3 };
const SUCCESS_COLOR = '#15803d';
const PALETTE = ['#dc2626', '#ea580c', '#ca8a04', '#9333ea', '#db2777', '#0891b2', '#4f46e5', '#65a30d',
  '#b91c1c', '#c2410c', '#a16207', '#7e22ce', '#be185d', '#0e7490', '#4338ca', '#854d0e'];

export function colorOf(result, order) {
  if (result === 'success') return SUCCESS_COLOR;
  return PALETTE[order.indexOf(result) % PALETTE.length];
}

// Buckets from `from` to `to` (the stats answer's range), empty ones included.
export function fillBuckets(stats) {
  const span = SPAN[stats.bucket];
  const counts = new Map(stats.items.map((item) => [Date.parse(item.start), item.counts]));
  const times = [...counts.keys()];
  let start = stats.from ? Date.parse(stats.from) : Math.min(...times);
  const end = stats.to ? Date.parse(stats.to) : Math.max(...times);
  start = Math.floor(start / span) * span;
  const buckets = [];
  for (let time = start; time <= end && buckets.length < 400; time += span) {
    buckets.push({ time, counts: counts.get(time) || {} });
  }
  // Keep the newest buckets when the range is longer than what fits.
  if (buckets.length === 400) {
    const last = Math.max(...times, end);
    const first = last - 399 * span;
    return fillBuckets({ ...stats, from: new Date(first).toISOString(), to: new Date(last).toISOString() });
  }
  return buckets;
}

// Whether two times fall on the same local day.
const sameDay = (a, b) => new Date(a).toDateString() === new Date(b).toDateString();

// stats: the /v1/call-records/stats answer. formatTick(time, withDate) labels the axis: the
// date is added on the first label and wherever the day changes, when the range spans days.
// onPick({ start, end, result }) runs on a click (or Enter) on a bar: result is the stacked
// part clicked ('' for the bar as a whole or an empty bucket).
export function stackedBars(stats, { label, formatTick, width: available, nameOf = (result) => result, onPick, countText = (n) => String(n) }) {
  const buckets = fillBuckets(stats);
  const span = SPAN[stats.bucket];
  const results = [...new Set(buckets.flatMap((b) => Object.keys(b.counts)))];
  const failures = results.filter((r) => r !== 'success').sort();
  const order = ['success', ...failures];
  const totals = buckets.map((b) => Object.values(b.counts).reduce((a, n) => a + n, 0));
  const max = Math.max(1, ...totals);
  // Drawn at the width it is shown (no scaling), so the labels keep their size on a phone.
  const width = Math.max(300, Math.round(available || 720));
  const height = 220;
  const left = 40;
  const bottom = 28;
  const plotWidth = width - left - 8;
  const plotHeight = height - bottom - 8;
  const step = plotWidth / Math.max(1, buckets.length);
  const barWidth = Math.max(1, step * 0.8);
  const sum = totals.reduce((a, n) => a + n, 0);
  const spansDays = buckets.length > 1 && !sameDay(buckets[0].time, buckets[buckets.length - 1].time + span - 1);
  const chart = svg('svg', {
    viewBox: `0 0 ${width} ${height}`, class: 'chart', role: 'img',
    'aria-label': `${label}: ${sum}`, preserveAspectRatio: 'none',
  });
  // Axis: 0 and max, a baseline.
  const y = (value) => 8 + plotHeight - (value / max) * plotHeight;
  chart.append(
    svg('line', { x1: left, x2: width - 8, y1: y(0), y2: y(0), stroke: '#94a3b8' }),
    svg('line', { x1: left, x2: width - 8, y1: y(max), y2: y(max), stroke: '#e2e8f0' }),
    svg('text', { x: left - 6, y: y(0) + 4, 'text-anchor': 'end', class: 'tick' }, '0'),
    svg('text', { x: left - 6, y: y(max) + 4, 'text-anchor': 'end', class: 'tick' }, String(max)),
  );
  buckets.forEach((bucket, index) => {
    const x = left + index * step + (step - barWidth) / 2;
    let base = 0;
    const total = totals[index];
    const group = svg('g', {
      class: total ? 'bar' : 'bar empty', 'data-time': new Date(bucket.time).toISOString(), 'data-total': total,
      tabindex: onPick ? 0 : null, role: onPick ? 'button' : null,
    });
    // The whole column answers a click, however small its bar (or none: an empty bucket).
    group.append(svg('rect', { x: left + index * step, width: step, y: 8, height: plotHeight, class: 'hit' }));
    if (!total) group.append(svg('rect', { x, width: barWidth, y: y(0) - 2, height: 2, class: 'empty-mark' }));
    const detail = [];
    for (const result of order) {
      const value = bucket.counts[result] || 0;
      if (!value) continue;
      detail.push(`${nameOf(result)}: ${value}`);
      group.append(svg('rect', {
        x, width: barWidth, y: y(base + value), height: y(base) - y(base + value),
        fill: colorOf(result, failures), 'data-result': result, 'data-count': value,
      }));
      base += value;
    }
    const when = formatTick(bucket.time, true);
    group.prepend(svg('title', null, [when, ...(detail.length ? detail : [countText(0)])].join('\n')));
    if (onPick) {
      const pick = (result) => onPick({ start: bucket.time, end: bucket.time + span, result });
      group.addEventListener('click', (event) => pick((event.target.getAttribute && event.target.getAttribute('data-result')) || ''));
      group.addEventListener('keydown', (event) => {
        if (event.key === 'Enter' || event.key === ' ') { event.preventDefault(); pick(''); }
      });
    }
    chart.append(group);
  });
  // A few time labels along the bottom; the date on the first and where the day changes.
  const labels = Math.min(width < 500 ? 3 : 6, buckets.length);
  let previous = null;
  for (let i = 0; i < labels; i += 1) {
    const index = Math.round((i * (buckets.length - 1)) / Math.max(1, labels - 1));
    const time = buckets[index].time;
    const withDate = stats.bucket === 'day' || (spansDays && (previous === null || !sameDay(previous, time)));
    previous = time;
    const x = left + index * step + step / 2;
    chart.append(svg('text', { x, y: height - 8, 'text-anchor': i === 0 ? 'start' : i === labels - 1 ? 'end' : 'middle', class: 'tick' },
      formatTick(time, withDate)));
  }
  const legend = h('ul', { class: 'legend' }, order.filter((r) => results.includes(r)).map((result) => h('li', null,
    svg('svg', { width: 12, height: 12, 'aria-hidden': 'true' }, svg('rect', { width: 12, height: 12, fill: colorOf(result, failures) })),
    ` ${nameOf(result)} (${buckets.reduce((a, b) => a + (b.counts[result] || 0), 0)})`)));
  return h('figure', { class: 'chart-box' }, chart, legend);
}
