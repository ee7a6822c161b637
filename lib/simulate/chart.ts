import type { PolicyMetrics } from './metrics';
import type { Sample } from './model';

/** One policy's panel: its samples (summed over the chosen services) and the numbers in its title. */
export interface ChartPanel {
  label: string;
  samples: Sample[];
  metrics: PolicyMetrics;
  /** When the run ended (seconds), if after the chart's last second. */
  endedAt?: number;
}

export interface ChartOptions {
  title: string;
  /** Seconds shown on the x axis (the trace's horizon). */
  horizonSeconds: number;
  /** "5 min", or "their targets" when services differ. */
  targetLabel: string;
  /** Which services' series to add up (indexes into Sample arrays); all when omitted. */
  services?: number[];
}

const WIDTH = 960;
const PANEL_HEIGHT = 150;
const LEFT = 64;
const RIGHT = 56;
const TOP = 72;
const GAP = 44;
const PLOT_W = WIDTH - LEFT - RIGHT;
const BACKLOG = { fill: '#cfe0f5', stroke: '#4a7ab8' };
const WORKERS = '#d9480f';

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (x: number): string => (Math.round(x * 10) / 10).toLocaleString('en-US');
const duration = (s: number): string => (s >= 3600 ? `${fmt(s / 3600)} h` : s >= 120 ? `${Math.round(s / 60)} min` : `${Math.round(s)} s`);

/** 1, 2 or 5 × 10^k at or above x. */
export function niceCeil(x: number): number {
  if (x <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(x));
  return ([1, 2, 5, 10].find((m) => m * p >= x - 1e-9) as number) * p;
}

function timeTicks(horizon: number): { step: number; label: (t: number) => string } {
  const hours = horizon > 3 * 3600;
  const unit = hours ? 3600 : 60;
  const step = niceCeil(horizon / unit / 8) * unit;
  return { step, label: (t) => `${Math.round(t / unit)}${hours ? ' h' : ' min'}` };
}

/** Max per pixel column, so a day of 15-second samples draws as ~900 points and keeps its peaks. */
function columns(samples: Sample[], pick: (s: Sample) => number, horizon: number): [number, number][] {
  const out = new Map<number, number>();
  for (const s of samples) {
    if (s.t > horizon) break;
    const x = Math.round((s.t / horizon) * PLOT_W);
    out.set(x, Math.max(out.get(x) ?? 0, pick(s)));
  }
  return [...out.entries()].sort((a, b) => a[0] - b[0]);
}

function panel(p: ChartPanel, i: number, o: ChartOptions, yMax: { waiting: number; workers: number }, sum: (xs: number[]) => number): string {
  const y0 = TOP + i * (PANEL_HEIGHT + GAP);
  const sy = (v: number, max: number) => y0 + PANEL_HEIGHT - (v / max) * PANEL_HEIGHT;
  const waiting = columns(p.samples, (s) => sum(s.waiting), o.horizonSeconds);
  const workers = columns(p.samples, (s) => sum(s.workers), o.horizonSeconds);
  const area = waiting.length === 0 ? '' : `M${LEFT},${y0 + PANEL_HEIGHT} ${waiting.map(([x, v]) => `L${LEFT + x},${sy(v, yMax.waiting).toFixed(1)}`).join(' ')} L${LEFT + waiting[waiting.length - 1][0]},${y0 + PANEL_HEIGHT} Z`;
  let line = '';
  let prev: number | null = null;
  for (const [x, v] of workers) {
    const y = sy(v, yMax.workers).toFixed(1);
    line += prev === null ? `M${LEFT + x},${y}` : ` L${LEFT + x},${prev} L${LEFT + x},${y}`;
    prev = Number(y);
  }
  const m = p.metrics;
  const heading = `${p.label} — paid ${Math.round(m.paidMinutes).toLocaleString('en-US')} worker-min (×${m.ratio.toFixed(2)} the work) · ${fmt(m.withinTargetPct)}% started within ${o.targetLabel} · p95 wait ${duration(m.p95WaitSeconds)}${m.interrupted ? ` · ${m.interrupted} killed` : ''}${p.endedAt ? ` · done at ${fmt(p.endedAt / 3600)} h` : ''}`;
  const ticks = timeTicks(o.horizonSeconds);
  const xTicks: string[] = [];
  for (let t = 0; t <= o.horizonSeconds + 1e-9; t += ticks.step) {
    const x = LEFT + (t / o.horizonSeconds) * PLOT_W;
    xTicks.push(`<line x1="${x.toFixed(1)}" y1="${y0 + PANEL_HEIGHT}" x2="${x.toFixed(1)}" y2="${y0 + PANEL_HEIGHT + 4}" stroke="#888"/><text x="${x.toFixed(1)}" y="${y0 + PANEL_HEIGHT + 16}" text-anchor="middle" fill="#555">${ticks.label(t)}</text>`);
  }
  const yTicks = [0, 0.5, 1].map((f) => {
    const y = (y0 + PANEL_HEIGHT - f * PANEL_HEIGHT).toFixed(1);
    return `<line x1="${LEFT}" y1="${y}" x2="${LEFT + PLOT_W}" y2="${y}" stroke="#eee"/>`
      + `<text x="${LEFT - 6}" y="${y}" dy="4" text-anchor="end" fill="${BACKLOG.stroke}">${fmt(f * yMax.waiting)}</text>`
      + `<text x="${LEFT + PLOT_W + 6}" y="${y}" dy="4" fill="${WORKERS}">${fmt(f * yMax.workers)}</text>`;
  }).join('');
  return [
    `<g class="panel">`,
    `<text x="${LEFT}" y="${y0 - 8}" font-weight="bold">${esc(heading)}</text>`,
    yTicks,
    area ? `<path d="${area}" fill="${BACKLOG.fill}" stroke="${BACKLOG.stroke}" stroke-width="0.8"/>` : '',
    line ? `<path d="${line}" fill="none" stroke="${WORKERS}" stroke-width="1.6"/>` : '',
    `<rect x="${LEFT}" y="${y0}" width="${PLOT_W}" height="${PANEL_HEIGHT}" fill="none" stroke="#888"/>`,
    xTicks.join(''),
    `</g>`,
  ].join('\n');
}

/**
 * Small multiples: one panel per policy, all on the same axes — tasks waiting to start (area,
 * left axis) and paid workers (line, right axis) over time — so the difference shows at a glance.
 */
export function renderChart(panels: ChartPanel[], o: ChartOptions): string {
  const pick = o.services;
  const sum = (xs: number[]) => (pick ? pick.reduce((a, i) => a + (xs[i] ?? 0), 0) : xs.reduce((a, b) => a + b, 0));
  const peak = (pick: (s: Sample) => number[]) => panels.reduce((a, p) => p.samples.reduce((b, s) => (s.t <= o.horizonSeconds ? Math.max(b, sum(pick(s))) : b), a), 1);
  const yMax = { waiting: niceCeil(peak((s) => s.waiting)), workers: niceCeil(peak((s) => s.workers)) };
  const height = TOP + panels.length * (PANEL_HEIGHT + GAP);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<title>${esc(o.title)}</title>`,
    `<rect width="100%" height="100%" fill="#fff"/>`,
    `<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${esc(o.title)}</text>`,
    `<rect x="${LEFT}" y="30" width="14" height="10" fill="${BACKLOG.fill}" stroke="${BACKLOG.stroke}"/><text x="${LEFT + 20}" y="39">tasks waiting to start (left axis)</text>`,
    `<line x1="${LEFT + 230}" y1="35" x2="${LEFT + 244}" y2="35" stroke="${WORKERS}" stroke-width="2"/><text x="${LEFT + 250}" y="39">paid workers (right axis)</text>`,
    ...panels.map((p, i) => panel(p, i, o, yMax, sum)),
    `</svg>`,
    '',
  ].join('\n');
}
