// Runs per minute by status, the last 30 minutes, drawn as stacked SVG bars. Filled from the runs
// API once, then kept up to date from the event stream.
import {h, svg, replace} from './dom.js';
import {api, stream} from './api.js';

const GROUPS = [
  {key: 'completed', label: 'Completed', statuses: ['completed']},
  {key: 'failed', label: 'Failed', statuses: ['failed', 'crashed', 'timed_out']},
  {key: 'canceled', label: 'Canceled or expired', statuses: ['canceled', 'expired']},
  {key: 'running', label: 'Executing', statuses: ['executing', 'waiting']},
  {key: 'pending', label: 'Queued, delayed or retrying', statuses: ['queued', 'delayed', 'retrying']},
];
const GROUP_OF = new Map(GROUPS.flatMap((g) => g.statuses.map((s) => [s, g.key])));

export class RunsChart {
  constructor({minutes = 30} = {}) {
    this.minutes = minutes;
    this.runs = new Map();  // id → {created, status}
    this.canvas = h('div', {class: 'chart-canvas'});
    this.legend = h('ul', {class: 'chart-legend', 'aria-hidden': 'true'});
    this.element = h('section', {class: 'card chart', 'aria-labelledby': 'chart-title'},
      h('div', {class: 'card-head'}, h('h2', {id: 'chart-title'}, 'Runs per minute'),
        h('span', {class: 'muted'}, `last ${minutes} minutes, all tasks, by status`)),
      this.canvas, this.legend);
    this.unsubscribe = stream.subscribe((e) => this.onEvent(e));
    this.timer = setInterval(() => this.render(), 15000);
    this.renderTimer = null;
    // Drawn at the size it is shown, so that text is never stretched.
    this.width = 0;
    this.resize = new ResizeObserver(() => {
      const w = Math.round(this.canvas.clientWidth);
      if (w && w !== this.width) {
        this.width = w;
        this.render();
      }
    });
    this.resize.observe(this.canvas);
    this.load();
  }

  async load() {
    const from = Date.now() - this.minutes * 60_000;
    const seen = new Map();
    try {
      let cursor = null;
      for (let page = 0; page < 6; ++page) {
        const q = new URLSearchParams({created_from: String(from), limit: '500'});
        if (cursor) q.set('cursor', cursor);
        const data = await api(`/runs?${q}`);
        for (const r of data.runs) seen.set(r.id, {created: r.created_at, status: r.status});
        cursor = data.next_cursor;
        if (!cursor) break;
      }
    } catch {
      // The list shows the error; the chart stays empty.
    }
    for (const [id, r] of seen) if (!this.runs.has(id)) this.runs.set(id, r);
    this.render();
  }

  onEvent(e) {
    if (e.type === 'resync') {
      this.load();
      return;
    }
    const r = this.runs.get(e.run_id);
    if (r) r.status = e.status;
    else this.runs.set(e.run_id, {created: e.time, status: e.status});
    clearTimeout(this.renderTimer);
    this.renderTimer = setTimeout(() => this.render(), 250);
  }

  render() {
    const now = Date.now();
    const end = Math.floor(now / 60_000) * 60_000 + 60_000;
    const start = end - this.minutes * 60_000;
    const buckets = Array.from({length: this.minutes}, () => Object.fromEntries(GROUPS.map((g) => [g.key, 0])));
    const totals = Object.fromEntries(GROUPS.map((g) => [g.key, 0]));
    for (const [id, r] of this.runs) {
      if (r.created < start - 60_000) {
        this.runs.delete(id);
        continue;
      }
      const k = Math.floor((r.created - start) / 60_000);
      if (k < 0 || k >= this.minutes) continue;
      const g = GROUP_OF.get(r.status) ?? 'pending';
      buckets[k][g] += 1;
      totals[g] += 1;
    }
    const max = Math.max(1, ...buckets.map((b) => GROUPS.reduce((n, g) => n + b[g.key], 0)));
    const W = this.width || 600;
    const H = 110;
    const pad = {l: 28, r: 6, t: 8, b: 20};
    const bw = (W - pad.l - pad.r) / this.minutes;
    const scale = (H - pad.t - pad.b) / max;
    const total = Object.values(totals).reduce((a, b) => a + b, 0);
    const summary = total === 0 ? `No runs in the last ${this.minutes} minutes.`
      : `${total} runs in the last ${this.minutes} minutes: ${GROUPS.filter((g) => totals[g.key]).map((g) => `${totals[g.key]} ${g.label.toLowerCase()}`).join(', ')}.`;
    const bars = [];
    buckets.forEach((b, k) => {
      let y = H - pad.b;
      for (const g of GROUPS) {
        const n = b[g.key];
        if (!n) continue;
        const hgt = n * scale;
        y -= hgt;
        bars.push(svg('rect', {x: (pad.l + k * bw + 1).toFixed(1), y: y.toFixed(1), width: Math.max(1, bw - 2).toFixed(1),
          height: hgt.toFixed(1), class: `bar bar-${g.key}`, rx: 1.5},
        svg('title', null, `${new Date(start + k * 60_000).toLocaleTimeString(undefined, {hour: '2-digit', minute: '2-digit', hour12: false})}: ${n} ${g.label.toLowerCase()}`)));
      }
    });
    const ticks = [];
    for (let k = 0; k <= this.minutes; k += 10) {
      const x = pad.l + k * bw;
      ticks.push(svg('line', {x1: x, x2: x, y1: H - pad.b, y2: H - pad.b + 4, class: 'axis'}));
      const label = k === this.minutes ? 'now' : `−${this.minutes - k} min`;
      ticks.push(svg('text', {x, y: H - 5, class: 'tick', 'text-anchor': k === 0 ? 'start' : k === this.minutes ? 'end' : 'middle'}, label));
    }
    const chart = svg('svg', {viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': summary, width: W, height: H, class: 'chart-svg'},
      svg('line', {x1: pad.l, x2: W - pad.r, y1: H - pad.b, y2: H - pad.b, class: 'axis'}),
      svg('line', {x1: pad.l, x2: W - pad.r, y1: pad.t, y2: pad.t, class: 'grid'}),
      svg('text', {x: pad.l - 4, y: pad.t + 4, class: 'tick', 'text-anchor': 'end'}, String(max)),
      svg('text', {x: pad.l - 4, y: H - pad.b, class: 'tick', 'text-anchor': 'end'}, '0'),
      ticks, bars);
    replace(this.canvas, chart);
    replace(this.legend, GROUPS.map((g) => h('li', null, h('span', {class: `swatch bar-${g.key}`}), `${g.label} `, h('strong', null, String(totals[g.key])))));
  }

  dispose() {
    this.unsubscribe();
    clearInterval(this.timer);
    clearTimeout(this.renderTimer);
    this.resize.disconnect();
  }
}
