/**
 * Small inline-SVG charts for the HTML report: grouped bars, histograms and line plots, as self-contained
 * markup (no script, no network when the report is opened).
 */

/** Chart size, px. */
const WIDTH = 560;
const HEIGHT = 240;
const MARGIN = { left: 48, right: 12, top: 26, bottom: 42 };
/** Series colours (colour-blind-safe Okabe–Ito palette). */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"];

/** Text safe inside SVG/HTML. */
export function escapeXml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function frame(inner: string, title: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="${WIDTH}" height="${HEIGHT}" role="img" aria-label="${escapeXml(title)}" font-family="sans-serif" font-size="11">${inner}</svg>`;
}

/** Round numbers for axis ticks between `lo` and `hi`. */
function ticks(lo: number, hi: number, count = 5): number[] {
  if (hi <= lo) return [lo];
  const raw = (hi - lo) / count;
  const magnitude = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = [1, 2, 5, 10].map((m) => m * magnitude).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(10)));
  return out;
}

function label(v: number): string {
  return Math.abs(v) >= 1000 || (Math.abs(v) < 0.01 && v !== 0) ? v.toPrecision(2) : String(Number(v.toPrecision(3)));
}

/** Axes with ticks for value ranges [x0, x1] × [y0, y1]; returns the markup and the coordinate maps. */
function axes(x0: number, x1: number, y0: number, y1: number, xLabel: string, yLabel: string, xTicks = true): { svg: string; x: (v: number) => number; y: (v: number) => number } {
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (v: number) => MARGIN.left + ((v - x0) / (x1 - x0 || 1)) * plotW;
  const y = (v: number) => MARGIN.top + plotH - ((v - y0) / (y1 - y0 || 1)) * plotH;
  let svg = `<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${MARGIN.left + plotW}" y2="${MARGIN.top + plotH}" stroke="#333"/>`;
  svg += `<line x1="${MARGIN.left}" y1="${MARGIN.top}" x2="${MARGIN.left}" y2="${MARGIN.top + plotH}" stroke="#333"/>`;
  for (const t of ticks(y0, y1)) {
    svg += `<line x1="${MARGIN.left - 4}" y1="${y(t)}" x2="${MARGIN.left + plotW}" y2="${y(t)}" stroke="#ddd"/><text x="${MARGIN.left - 6}" y="${y(t) + 4}" text-anchor="end">${label(t)}</text>`;
  }
  if (xTicks) for (const t of ticks(x0, x1, 8)) svg += `<text x="${x(t)}" y="${MARGIN.top + plotH + 14}" text-anchor="middle">${label(t)}</text>`;
  svg += `<text x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 6}" text-anchor="middle">${escapeXml(xLabel)}</text>`;
  svg += `<text transform="translate(12 ${MARGIN.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(yLabel)}</text>`;
  return { svg, x, y };
}

/** Series names in a row above the plot area. */
function legend(series: readonly string[]): string {
  let x = MARGIN.left;
  return series
    .map((name, i) => {
      const item = `<rect x="${x}" y="6" width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="${x + 14}" y="15">${escapeXml(name)}</text>`;
      x += 24 + name.length * 6;
      return item;
    })
    .join("");
}

/** Grouped bars: one group per category, one bar per series (values may be null: no bar). */
export function groupedBars(title: string, categories: readonly string[], series: readonly { name: string; values: readonly (number | null)[] }[], yLabel: string, yMax?: number): string {
  const top = yMax ?? Math.max(1e-9, ...series.flatMap((s) => s.values.filter((v): v is number => v !== null)));
  const a = axes(0, categories.length, 0, top, "", yLabel, false);
  const groupW = (WIDTH - MARGIN.left - MARGIN.right) / Math.max(1, categories.length);
  const barW = (groupW * 0.8) / Math.max(1, series.length);
  let svg = a.svg;
  categories.forEach((c, i) => {
    const gx = a.x(i) + groupW * 0.1;
    series.forEach((s, j) => {
      const v = s.values[i];
      if (v === null || v === undefined) return;
      const y = a.y(v);
      svg += `<rect x="${gx + j * barW}" y="${y}" width="${barW - 2}" height="${a.y(0) - y}" fill="${PALETTE[j % PALETTE.length]}"><title>${escapeXml(`${c}, ${s.name}: ${label(v)}`)}</title></rect>`;
      svg += `<text x="${gx + j * barW + barW / 2 - 1}" y="${y - 3}" text-anchor="middle" font-size="9">${label(v)}</text>`;
    });
    svg += `<text x="${a.x(i) + groupW / 2}" y="${HEIGHT - MARGIN.bottom + 14}" text-anchor="middle">${escapeXml(c)}</text>`;
  });
  return frame(svg + legend(series.map((s) => s.name)), title);
}

/** A histogram of `values` in `bins` equal bins (an empty list draws an empty frame). */
export function histogram(title: string, values: readonly number[], xLabel: string, bins = 20): string {
  if (values.length === 0) return frame(`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">no data</text>`, title);
  let lo = Math.min(...values);
  let hi = Math.max(...values);
  if (hi === lo) {
    lo -= 0.5;
    hi += 0.5;
  }
  const width = (hi - lo) / bins;
  const counts = new Array<number>(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor((v - lo) / width))]!++;
  const a = axes(lo, hi, 0, Math.max(...counts), xLabel, "count");
  let svg = a.svg;
  counts.forEach((c, i) => {
    if (c === 0) return;
    const x = a.x(lo + i * width);
    svg += `<rect x="${x}" y="${a.y(c)}" width="${a.x(lo + (i + 1) * width) - x - 1}" height="${a.y(0) - a.y(c)}" fill="${PALETTE[0]}"><title>${label(lo + i * width)}–${label(lo + (i + 1) * width)}: ${c}</title></rect>`;
  });
  return frame(svg, title);
}

/** Lines through points, one per series. */
export function lines(title: string, series: readonly { name: string; points: readonly [number, number][] }[], xLabel: string, yLabel: string): string {
  const all = series.flatMap((s) => s.points);
  if (all.length === 0) return frame(`<text x="${WIDTH / 2}" y="${HEIGHT / 2}" text-anchor="middle">no data</text>`, title);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const a = axes(Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys), xLabel, yLabel);
  let svg = a.svg;
  series.forEach((s, i) => {
    const d = s.points.map((p, k) => `${k === 0 ? "M" : "L"}${a.x(p[0]).toFixed(1)},${a.y(p[1]).toFixed(1)}`).join("");
    svg += `<path d="${d}" fill="none" stroke="${PALETTE[i % PALETTE.length]}" stroke-width="2"/>`;
  });
  return frame(svg + legend(series.map((s) => s.name)), title);
}
