// Events per second by category over the last hour: a stacked area chart on a canvas.
//
// Two sources make its columns. History, when the server has GET /api/analytics/timeseries:
// one column per minute before the page started following the stream. Live: events of the
// stream counted by TART's receive time into 5-second columns, so replayed events after a
// reconnection land where they belong.

import { clock, el, rate, setText } from "./format.js";

export const LIVE_BUCKET_MS = 5000;
const WINDOW_MS = 3600 * 1000;
// Until there is an hour of data, the chart spans what there is, but at least this.
const MIN_WINDOW_MS = 300 * 1000;
const TICK_MINUTES = [1, 2, 5, 10, 15, 30];
// A live column is drawn once its end is this far in the past: its last events are in. While
// events stream, columns are drawn up to the newest one's receive time instead: when TART's
// writer falls behind, events reach the page seconds after TART received them.
const SETTLE_MS = 1000;
const STREAMING_MS = 2000;
const PALETTE = [
  "#5fb3f9", "#4fd18b", "#f5c451", "#ff8a65", "#ba68c8", "#4dd0e1",
  "#f06292", "#aed581", "#ffb74d", "#9575cd", "#90a4ae",
];
const PAD = { left: 56, right: 12, top: 10, bottom: 24 };

export class RateChart {
  constructor(canvas, legend, tip, note, catalog) {
    this.canvas = canvas;
    this.legend = legend;
    this.tip = tip;
    this.note = note;
    this.categories = catalog.categories;
    this.categoryOf = catalog.categoryOf;
    this.history = [];
    this.live = new Map();
    this.liveFrom = Infinity;
    this.firstLive = Infinity; // the first live column with an event in it
    this.newestReceived = -Infinity; // TART's receive time of the newest event counted
    this.newestArrival = -Infinity; // when that event reached the page (page clock)
    this.columns = [];
    this.legendRates = [];
    this.drawn = null; // what the canvas shows: redrawn only when that changes
    const style = getComputedStyle(document.documentElement);
    this.colors = { line: style.getPropertyValue("--line"), muted: style.getPropertyValue("--muted") };
    this.buildLegend();
    canvas.addEventListener("mousemove", (event) => this.hover(event));
    canvas.addEventListener("mouseleave", () => (this.tip.hidden = true));
  }

  buildLegend() {
    this.legend.replaceChildren(
      ...this.categories.map((category, index) => {
        const value = el("span", { className: "rate", textContent: "–" });
        this.legendRates.push(value);
        const swatch = el("span", { className: "swatch" });
        // Through the CSSOM: the page's Content-Security-Policy allows no inline styles.
        swatch.style.background = PALETTE[index % PALETTE.length];
        return el(
          "li",
          { dataset: { category: category.key }, title: `${category.label}: events/s now` },
          swatch,
          category.label,
          value,
        );
      }),
    );
  }

  /**
   * Live counting starts with the first whole column after `serverMs`, when the newest event
   * the page has not counted arrived; null: there is no such event (nothing is stored).
   */
  followFrom(serverMs) {
    this.liveFrom = serverMs == null ? -Infinity : Math.ceil(serverMs / LIVE_BUCKET_MS) * LIVE_BUCKET_MS;
  }

  /** GET /api/analytics/timeseries?by=category's answer: minute columns before live. */
  setHistory(answer) {
    this.drawn = null;
    const width = answer.step * 1000;
    const byTime = new Map();
    for (const series of answer.series) {
      const index = this.categories.findIndex((category) => category.key === series.key);
      if (index < 0) continue;
      for (const point of series.points) {
        const start = Date.parse(point.time);
        if (!byTime.has(start)) byTime.set(start, new Float64Array(this.categories.length));
        byTime.get(start)[index] += point.events;
      }
    }
    this.history = [...byTime.entries()]
      .sort((a, b) => a[0] - b[0])
      .map(([start, counts]) => ({ start, width, counts }));
  }

  count(eventType, receivedMs) {
    const index = this.categoryOf[eventType];
    if (index < 0 || receivedMs < this.liveFrom) return;
    if (receivedMs > this.newestReceived) this.newestReceived = receivedMs;
    this.newestArrival = Date.now();
    const start = receivedMs - (receivedMs % LIVE_BUCKET_MS);
    let counts = this.live.get(start);
    if (counts === undefined) {
      if (start < this.firstLive) this.firstLive = start;
      counts = new Float64Array(this.categories.length);
      this.live.set(start, counts);
    }
    counts[index] += 1;
  }

  /** Where the chart starts: an hour ago, or where its data starts if that is later. */
  windowStart(now) {
    const history = this.history.length ? this.history[0].start : Infinity;
    const data = Math.min(history, Number.isFinite(this.liveFrom) ? this.liveFrom : this.firstLive);
    return Math.min(now - MIN_WINDOW_MS, Math.max(now - WINDOW_MS, data));
  }

  /** The columns after `from`, oldest first, as rates per category. */
  collect(now, from) {
    const columns = [];
    for (const column of this.history) {
      if (column.start >= from && column.start + column.width <= this.liveFrom) columns.push(column);
    }
    for (const start of this.live.keys()) if (start < from) this.live.delete(start);
    // Every live column, zero-filled: the stream brings every event, so none came in a gap.
    const empty = new Float64Array(this.categories.length);
    const first = Math.max(this.liveFrom, from - (from % LIVE_BUCKET_MS) + LIVE_BUCKET_MS);
    for (let start = first; start + LIVE_BUCKET_MS <= now - SETTLE_MS; start += LIVE_BUCKET_MS) {
      columns.push({ start, width: LIVE_BUCKET_MS, counts: this.live.get(start) ?? empty });
    }
    return columns.map((column) => ({
      start: column.start,
      width: column.width,
      rates: Array.from(column.counts, (n) => n / (column.width / 1000)),
    }));
  }

  /** Draws the chart as of `serverNow`; it moves a column at a time, and only then redraws. */
  draw(serverNow) {
    const frontier =
      Date.now() - this.newestArrival < STREAMING_MS
        ? Math.min(this.newestReceived, serverNow - SETTLE_MS)
        : serverNow - SETTLE_MS;
    const now = Math.floor(frontier / LIVE_BUCKET_MS) * LIVE_BUCKET_MS + SETTLE_MS;
    const canvas = this.canvas;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    const state = `${now} ${width} ${height} ${this.history.length} ${this.liveFrom} ${this.firstLive}`;
    if (state === this.drawn) return;
    this.drawn = state;
    const from = this.windowStart(now);
    this.now = now;
    this.from = from;
    this.columns = this.collect(now, from);
    const newest = this.columns[this.columns.length - 1];
    this.legendRates.forEach((value, index) => setText(value, newest ? rate(newest.rates[index]) : "–"));

    const ratio = window.devicePixelRatio || 1;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    const { line, muted } = this.colors;
    g.font = "11px system-ui, sans-serif";

    const plotWidth = width - PAD.left - PAD.right;
    const plotHeight = height - PAD.top - PAD.bottom;
    const x = (ms) => PAD.left + ((ms - from) / (now - from)) * plotWidth;
    let top = 0;
    for (const column of this.columns) top = Math.max(top, column.rates.reduce((a, b) => a + b, 0));
    const scale = niceCeiling(top);
    const y = (value) => PAD.top + plotHeight - (value / scale) * plotHeight;

    g.strokeStyle = line;
    g.fillStyle = muted;
    g.lineWidth = 1;
    g.textAlign = "right";
    g.textBaseline = "middle";
    for (let step = 0; step <= 4; step += 1) {
      const value = (scale * step) / 4;
      g.beginPath();
      g.moveTo(PAD.left, Math.round(y(value)) + 0.5);
      g.lineTo(width - PAD.right, Math.round(y(value)) + 0.5);
      g.stroke();
      g.fillText(rate(value), PAD.left - 6, y(value));
    }
    g.textAlign = "center";
    g.textBaseline = "top";
    const minutes = TICK_MINUTES.find((step) => (now - from) / (step * 60000) <= 8) ?? 60;
    const tick = minutes * 60000;
    for (let t = Math.ceil(from / tick) * tick; t <= now; t += tick) {
      g.fillText(clock(t).slice(0, 5), x(t), height - PAD.bottom + 6);
    }

    if (this.columns.length === 0) {
      g.textAlign = "center";
      g.textBaseline = "middle";
      g.fillText("Waiting for the first 5 seconds of events…", PAD.left + plotWidth / 2, PAD.top + plotHeight / 2);
      return;
    }
    // Stacked: layer k is the sum of categories 0..k, painted from the top layer down; each
    // column is a step as wide as the time it counts.
    const stacks = this.columns.map((column) => {
      let sum = 0;
      return column.rates.map((value) => (sum += value));
    });
    const first = this.columns[0];
    const last = this.columns[this.columns.length - 1];
    for (let layer = this.categories.length - 1; layer >= 0; layer -= 1) {
      g.beginPath();
      g.moveTo(x(first.start), y(0));
      this.columns.forEach((column, n) => {
        g.lineTo(x(column.start), y(stacks[n][layer]));
        g.lineTo(x(column.start + column.width), y(stacks[n][layer]));
      });
      g.lineTo(x(last.start + last.width), y(0));
      g.closePath();
      g.fillStyle = PALETTE[layer % PALETTE.length];
      g.fill();
    }
  }

  hover(event) {
    if (!this.columns.length) return;
    const bounds = this.canvas.getBoundingClientRect();
    const plotWidth = bounds.width - PAD.left - PAD.right;
    const at = this.from + ((event.clientX - bounds.left - PAD.left) / plotWidth) * (this.now - this.from);
    const nearest =
      this.columns.find((column) => at < column.start + column.width) ?? this.columns[this.columns.length - 1];
    const lines = [
      `${clock(nearest.start).slice(0, 8)} +${nearest.width / 1000} s: ` +
        `${rate(nearest.rates.reduce((a, b) => a + b, 0))} events/s`,
    ];
    nearest.rates.forEach((value, index) => {
      if (value > 0) lines.push(`${this.categories[index].label}: ${rate(value)}`);
    });
    this.tip.textContent = lines.join("\n");
    this.tip.hidden = false;
    const left = event.clientX - bounds.left + 14;
    this.tip.style.left = `${Math.min(left, bounds.width - this.tip.offsetWidth - 4)}px`;
  }
}

/** The smallest 1, 2 or 5 × 10^n at or above `value` (at least 1). */
function niceCeiling(value) {
  if (value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}
