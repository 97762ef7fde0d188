// /stats — the server's live figures (GET /api/v1/stats) polled every second and drawn as
// small SVG line charts over the last minute: stream connections, events and deliveries per
// second, and the delivery latency percentiles. Every chart has a text alternative with its
// latest values, and the figures are written out as text as well.

import { h, replace } from '../dom.js';

const SVG = 'http://www.w3.org/2000/svg';
const POLL_MS = 1000;
/** Samples kept: one a second, the last minute. */
const SLOTS = 60;
const HEIGHT = 150;
const PAD = { top: 10, right: 8, bottom: 18, left: 54 };

export default {
  title: 'Stats',
  render(main, ctx) {
    const figures = h('dl', { class: 'stats-figures' });
    const state = h('p', { class: 'stats-state muted', role: 'status' }, 'Connecting to the server…');
    const charts = {
      connections: chartSection('Connections', 'stats-connections'),
      rates: chartSection('Events per second', 'stats-events'),
      latency: chartSection('Delivery latency', 'stats-latency'),
    };
    replace(
      main,
      h(
        'div',
        { class: 'view-pad stats-view' },
        h('h1', {}, 'Server statistics'),
        state,
        figures,
        h('div', { class: 'stats-charts' }, charts.connections.section, charts.rates.section, charts.latency.section),
      ),
    );

    const history = new History();
    let version = null;
    ctx.api
      .get('/api/v1/instance')
      .then((i) => (version = i.version))
      .catch(() => {});

    let stopped = false;
    let timer = null;
    let failures = 0;
    const poll = async () => {
      if (stopped) return;
      // A hidden tab draws nothing: asking would only cost the server.
      if (!document.hidden) {
        try {
          const stats = await ctx.api.get('/api/v1/stats');
          if (stopped) return;
          failures = 0;
          history.add(stats, performance.now());
          drawFigures(figures, stats, version);
          drawCharts(charts, history);
          state.textContent = `Live, updated every second · ${new Date().toLocaleTimeString()}`;
          state.classList.remove('stats-error');
        } catch (err) {
          failures += 1;
          state.textContent = `The server did not answer (${err.message}); trying again…`;
          state.classList.add('stats-error');
        }
      }
      // One request at a time, spaced out further while the server does not answer.
      timer = setTimeout(poll, POLL_MS * Math.min(10, 1 + failures));
    };
    poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  },
};

/** The last minute of samples. Rates come from successive counters, not from one response. */
class History {
  constructor() {
    this.samples = []; // {connections, events, deliveries, p50, p90, p99}
    this.last = null; // {stats, at}
  }

  add(stats, at) {
    const previous = this.last;
    this.last = { stats, at };
    const restarted = previous && (stats.uptime_seconds < previous.stats.uptime_seconds || stats.events_total < previous.stats.events_total);
    if (!previous || restarted) {
      this.samples = seed(stats);
    }
    let events = stats.events_per_second;
    let deliveries = stats.deliveries_per_second;
    if (previous && !restarted) {
      const seconds = Math.max((at - previous.at) / 1000, 0.001);
      events = (stats.events_total - previous.stats.events_total) / seconds;
      deliveries = (stats.deliveries_total - previous.stats.deliveries_total) / seconds;
    }
    const l = stats.delivery_latency_ms || {};
    this.samples.push({ connections: stats.connections, events, deliveries, p50: l.p50, p90: l.p90, p99: l.p99 });
    if (this.samples.length > SLOTS) this.samples.splice(0, this.samples.length - SLOTS);
  }

  series(key) {
    return this.samples.map((s) => (typeof s[key] === 'number' ? s[key] : null));
  }
}

/** The minute before the first poll, from the per-second counts the server keeps. */
function seed(stats) {
  const bySecond = new Map((stats.per_second || []).map((p) => [p.second, p]));
  const now = stats.uptime_seconds;
  const samples = [];
  for (let s = Math.max(0, now - SLOTS + 1); s < now; s += 1) {
    const p = bySecond.get(s);
    samples.push({ connections: null, events: p ? p.events : 0, deliveries: p ? p.deliveries : 0, p50: null, p90: null, p99: null });
  }
  return samples;
}

function chartSection(title, id) {
  const chart = h('div', { class: 'chart' });
  const legend = h('ul', { class: 'chart-legend' });
  const section = h('section', { class: 'stats-chart', 'aria-labelledby': id }, h('h2', { id }, title), chart, legend);
  return { section, chart, legend, title };
}

function drawCharts(charts, history) {
  const connections = history.series('connections');
  drawChart(charts.connections, [{ name: 'Open connections', key: 'connections', values: connections }], formatCount);
  drawChart(
    charts.rates,
    [
      { name: 'Events', key: 'events', values: history.series('events') },
      { name: 'Deliveries', key: 'deliveries', values: history.series('deliveries') },
    ],
    formatRate,
  );
  drawChart(
    charts.latency,
    [
      { name: 'p50', key: 'p50', values: history.series('p50') },
      { name: 'p90', key: 'p90', values: history.series('p90') },
      { name: 'p99', key: 'p99', values: history.series('p99') },
    ],
    formatMs,
  );
}

function drawChart({ chart, legend, title }, series, format) {
  const latest = series.map((s) => `${s.name} ${format(lastValue(s.values))}`);
  // Drawn at the box's own width in pixels, so that the axis text keeps its size on a phone.
  const width = Math.max(240, Math.round(chart.clientWidth || 600));
  replace(chart, lineChart(series, format, `${title}, the last minute. Now: ${latest.join(', ')}.`, width));
  replace(
    legend,
    series.map((s) =>
      h(
        'li',
        { class: `legend-${s.key}` },
        h('span', { class: 'legend-swatch', 'aria-hidden': 'true' }),
        `${s.name}: `,
        h('strong', {}, format(lastValue(s.values))),
      ),
    ),
  );
}

function lastValue(values) {
  for (let i = values.length - 1; i >= 0; i -= 1) if (values[i] !== null) return values[i];
  return null;
}

function svg(tag, attrs = {}) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

/** A line per series over SLOTS seconds, newest at the right; gaps (null) break the line. */
function lineChart(series, format, label, width) {
  const root = svg('svg', { viewBox: `0 0 ${width} ${HEIGHT}`, role: 'img', 'aria-label': label, class: 'chart-svg' });
  const all = series.flatMap((s) => s.values).filter((v) => v !== null);
  const max = niceMax(Math.max(0, ...all));
  const plotW = width - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (i, n) => PAD.left + ((SLOTS - n + i) / (SLOTS - 1)) * plotW;
  const y = (v) => PAD.top + plotH - (v / max) * plotH;

  for (const fraction of [0, 0.5, 1]) {
    const gy = PAD.top + plotH - fraction * plotH;
    root.append(svg('line', { x1: PAD.left, x2: width - PAD.right, y1: gy, y2: gy, class: 'chart-grid' }));
    const text = svg('text', { x: PAD.left - 6, y: gy + 4, class: 'chart-axis', 'text-anchor': 'end' });
    // Halfway up a small scale is not a whole number: the axis shows a decimal there.
    text.textContent = format === formatCount ? formatRate(max * fraction) : format(max * fraction);
    root.append(text);
  }
  const ago = svg('text', { x: PAD.left, y: HEIGHT - 3, class: 'chart-axis' });
  ago.textContent = '1 min ago';
  const now = svg('text', { x: width - PAD.right, y: HEIGHT - 3, class: 'chart-axis', 'text-anchor': 'end' });
  now.textContent = 'now';
  root.append(ago, now);

  for (const s of series) {
    const n = s.values.length;
    let run = [];
    const flush = () => {
      if (run.length === 1) root.append(svg('circle', { cx: run[0][0], cy: run[0][1], r: 2.5, class: `chart-dot chart-${s.key}` }));
      else if (run.length > 1) root.append(svg('polyline', { points: run.map((p) => p.join(',')).join(' '), class: `chart-line chart-${s.key}` }));
      run = [];
    };
    s.values.forEach((v, i) => {
      if (v === null) flush();
      else run.push([x(i, n).toFixed(1), y(v).toFixed(1)]);
    });
    flush();
  }
  return root;
}

/** A round top for the scale (1, 2 or 5 times a power of ten), so the axis reads easily. */
function niceMax(value) {
  if (value <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * power) return step * power;
  return 10 * power;
}

function formatCount(v) {
  return v === null ? '–' : String(Math.round(v));
}

function formatRate(v) {
  if (v === null) return '–';
  return v >= 10 ? String(Math.round(v)) : String(Math.round(v * 10) / 10);
}

function formatMs(v) {
  if (v === null || v === undefined) return '–';
  if (v >= 1000) return `${(v / 1000).toFixed(1)} s`;
  return `${v >= 10 ? Math.round(v) : Math.round(v * 10) / 10} ms`;
}

function formatUptime(seconds) {
  const d = Math.floor(seconds / 86400);
  const hrs = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [d && `${d} d`, (d || hrs) && `${hrs} h`, (d || hrs || m) && `${m} min`, `${s} s`].filter(Boolean).join(' ');
}

function drawFigures(dl, stats, version) {
  const l = stats.delivery_latency_ms || {};
  const rows = [
    ['Uptime', formatUptime(stats.uptime_seconds)],
    ['Connections', formatCount(stats.connections)],
    ['Events per second', formatRate(stats.events_per_second)],
    ['Deliveries per second', formatRate(stats.deliveries_per_second)],
    ['Delivery latency', l.samples ? `p50 ${formatMs(l.p50)} · p90 ${formatMs(l.p90)} · p99 ${formatMs(l.p99)}` : 'nothing delivered yet'],
    ['Events since start', stats.events_total.toLocaleString()],
    ['Last event', `#${stats.last_event_seq}`],
    ['Pipeline lag', `${stats.pipeline_lag_events} events`],
    ['Accounts', stats.accounts.toLocaleString()],
    ['Posts', stats.statuses.toLocaleString()],
    // Not in every server's answer: shown when present.
    stats.node !== undefined ? ['Node', String(stats.node)] : null,
    stats.backend !== undefined ? ['Backend', String(stats.backend)] : null,
    // Mastodon's version string with Starling's own inside: "4.3.0 (compatible; Starling 0.1.0)".
    version ? ['Version', version.match(/Starling [\w.+-]+/)?.[0] || version] : null,
  ].filter(Boolean);
  replace(
    dl,
    rows.map(([term, value]) => h('div', { class: 'stats-figure' }, h('dt', {}, term), h('dd', {}, value))),
  );
}
