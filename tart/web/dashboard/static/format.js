// How the dashboard writes numbers, times, ids and events, and a small DOM helper.

const whole = new Intl.NumberFormat("en-US", { maximumFractionDigits: 0 });
const tenths = new Intl.NumberFormat("en-US", { maximumFractionDigits: 1 });

export function count(value) {
  return value == null ? "–" : whole.format(value);
}

export function rate(value) {
  if (value == null || Number.isNaN(value)) return "–";
  return value < 100 ? tenths.format(value) : whole.format(value);
}

export function shortId(nodeId) {
  return nodeId.slice(0, 8) + "…";
}

/** "polkajam 1a2b3c4d…": what a node is called in lists. */
export function nodeLabel(node, nodeId) {
  const name = node && node.name ? node.name + " " : "";
  return name + shortId(nodeId);
}

/** An ISO 8601 time ("…T14:30:00.123456Z") as milliseconds since the epoch. */
export function millis(iso) {
  return iso == null ? null : Date.parse(iso);
}

/** How long ago `then` was (milliseconds, on the same clock as `now`). */
export function ago(then, now) {
  if (then == null) return "never";
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 2) return "now";
  if (seconds < 120) return `${seconds} s ago`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 120) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  return `${Math.round(hours / 24)} d ago`;
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** Local wall-clock time with milliseconds: 14:30:00.123. */
export function clock(ms) {
  const t = new Date(ms);
  return `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
}

/** Local date and time to the second: 2025-10-28 14:30:00. */
export function dateTime(iso) {
  if (iso == null) return "–";
  const t = new Date(iso);
  return `${t.getFullYear()}-${pad(t.getMonth() + 1)}-${pad(t.getDate())} ` +
    `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}`;
}

function shortValue(value) {
  if (typeof value === "string") {
    return value.startsWith("0x") && value.length > 18
      ? `${value.slice(0, 10)}…${value.slice(-4)}`
      : value;
  }
  if (Array.isArray(value)) return `[${value.length}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.entries(value).map(([k, v]) => `${k}: ${shortValue(v)}`).join(", ")}}`;
  }
  return String(value);
}

/** One line for an event's data: {"BestBlockChanged": {"slot": 5, ...}} → "slot 5 · hash 0x…". */
export function summary(data, limit = 160) {
  const [body] = Object.values(data || {});
  if (body === null || typeof body !== "object") return body == null ? "" : String(body);
  const text = Object.entries(body).map(([key, value]) => `${key} ${shortValue(value)}`).join(" · ");
  return text.length > limit ? text.slice(0, limit - 1) + "…" : text;
}

/** document.createElement with properties (className, textContent, title, ...) and children. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else node[key] = value;
  }
  node.append(...children.filter((child) => child != null));
  return node;
}

/** Sets an element's text only when it changed (cheap for tables redrawn every second). */
export function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}
