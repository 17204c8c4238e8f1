// The nodes table: sortable by any column, searchable, and pinnable (pins are kept in the
// browser). Only the rows in view are in the document, between two spacers that keep the
// scroll bar true; each node keeps its row, and a redraw rewrites only the cells whose text
// changed. So 1,024 nodes cost what the twenty in view cost.

import { ago, count, el, setText, shortId } from "./format.js";

const PINS_KEY = "tart.dashboard.pinned";
// Rows drawn above and below those in view, so that scrolling shows drawn rows.
const OVERSCAN = 10;

// How each sortable column reads a node; `behind` needs the network's best block.
const KEYS = {
  id: (node) => node.id,
  name: (node) => node.name,
  version: (node) => node.version,
  connected: (node) => (node.connected ? 1 : 0),
  best: (node) => node.best,
  finalized: (node) => node.finalized,
  behind: (node, best) => (node.best == null || best == null ? null : best - node.best),
  events: (node) => node.events,
  lastSeen: (node) => node.lastSeen,
};

function compareValues(a, b) {
  if (a == null || b == null) return a == null ? (b == null ? 0 : 1) : -1; // missing last
  if (typeof a === "string") return a.localeCompare(b);
  return a - b;
}

export class NodesTable {
  constructor(table, search, note, network) {
    this.body = table.tBodies[0];
    this.scroller = table.parentElement;
    this.rowHeight = 0; // measured from the first row drawn
    this.spacers = [spacer(), spacer()];
    this.headers = [...table.tHead.querySelectorAll("th[data-sort]")];
    this.note = note;
    this.network = network;
    this.rows = new Map();
    this.sort = { key: "connected", direction: -1 };
    this.query = "";
    this.pinned = new Set(JSON.parse(localStorage.getItem(PINS_KEY) || "[]"));
    for (const header of this.headers) {
      header.addEventListener("click", () => this.sortBy(header.dataset.sort));
    }
    search.addEventListener("input", () => {
      this.query = search.value.trim().toLowerCase().replace(/^0x/, "");
      this.draw(this.now);
    });
    let scrolled = false;
    this.scroller.addEventListener("scroll", () => {
      if (scrolled) return;
      scrolled = true;
      requestAnimationFrame(() => {
        scrolled = false;
        this.draw(this.now);
      });
    });
    this.body.addEventListener("click", (event) => {
      const button = event.target.closest("button.pin-toggle");
      if (button) this.togglePin(button.closest("tr").dataset.nodeId);
    });
    this.showSort();
  }

  sortBy(key) {
    // A new column starts with what is most interesting: high numbers, A→Z for text.
    const textual = ["id", "name", "version"].includes(key);
    this.sort =
      this.sort.key === key
        ? { key, direction: -this.sort.direction }
        : { key, direction: textual ? 1 : -1 };
    this.showSort();
    this.draw(this.now);
  }

  showSort() {
    for (const header of this.headers) {
      if (header.dataset.sort === this.sort.key) {
        header.setAttribute("aria-sort", this.sort.direction > 0 ? "ascending" : "descending");
      } else {
        header.removeAttribute("aria-sort");
      }
    }
  }

  togglePin(nodeId) {
    if (this.pinned.has(nodeId)) this.pinned.delete(nodeId);
    else this.pinned.add(nodeId);
    localStorage.setItem(PINS_KEY, JSON.stringify([...this.pinned]));
    this.draw(this.now);
  }

  matches(node) {
    if (!this.query) return true;
    return (
      node.id.includes(this.query) ||
      (node.name || "").toLowerCase().includes(this.query) ||
      (node.version || "").toLowerCase().includes(this.query)
    );
  }

  /** The node's row and its cells by column, made on first use. */
  row(node) {
    let entry = this.rows.get(node.id);
    if (entry === undefined) {
      const cells = {};
      const cell = (name, className = "") => (cells[name] = el("td", { className }));
      const row = el(
        "tr",
        { dataset: { nodeId: node.id } },
        el("td", { className: "pin" },
          el("button", { type: "button", className: "pin-toggle", title: "Pin to the top", textContent: "★" })),
        el("td", { className: "id" },
          el("a", { href: `#/node/${node.id}`, title: node.id, textContent: shortId(node.id) })),
        cell("name"),
        cell("version"),
        cell("connected"),
        cell("best", "num"),
        cell("finalized", "num"),
        cell("behind", "num"),
        cell("events", "num"),
        cell("lastSeen"),
      );
      entry = { row, cells };
      this.rows.set(node.id, entry);
    }
    return entry;
  }

  draw(now) {
    this.now = now;
    const network = this.network;
    const { best } = network.totals();
    const key = KEYS[this.sort.key];
    const direction = this.sort.direction;
    const shown = [...network.nodes.values()]
      .filter((node) => this.matches(node))
      .map((node) => ({ node, pinned: this.pinned.has(node.id), value: key(node, best) }));
    shown.sort(
      (a, b) =>
        b.pinned - a.pinned ||
        (a.value == null || b.value == null
          ? compareValues(a.value, b.value)
          : direction * compareValues(a.value, b.value)) ||
        a.node.id.localeCompare(b.node.id),
    );
    // The rows in view, with a margin: the others are not in the document.
    const height = this.rowHeight || 24;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / height) - OVERSCAN);
    const last = Math.min(
      shown.length,
      first + Math.ceil(this.scroller.clientHeight / height) + 2 * OVERSCAN,
    );
    const rows = shown.slice(first, last).map(({ node, pinned }) => {
      const { row, cells } = this.row(node);
      const behind = KEYS.behind(node, best);
      setWhole(cells.name, node.name ?? "–");
      setWhole(cells.version, node.version ?? "–");
      setText(cells.connected, node.connected ? "● yes" : "○ no");
      cells.connected.className = node.connected ? "state-on" : "state-off";
      setText(cells.best, count(node.best));
      setText(cells.finalized, count(node.finalized));
      setText(cells.behind, count(behind));
      cells.behind.className = `num ${behind === 0 ? "behind-0" : behind > 5 ? "behind-far" : ""}`;
      setText(cells.events, count(node.events));
      setText(cells.lastSeen, ago(node.lastSeen, now));
      row.classList.toggle("pinned", pinned);
      return row;
    });
    const [above, below] = this.spacers;
    above.style.height = `${first * height}px`;
    below.style.height = `${(shown.length - last) * height}px`;
    const wanted = [above, ...rows, below];
    const current = this.body.children;
    if (wanted.length !== current.length || wanted.some((row, n) => current[n] !== row)) {
      this.body.replaceChildren(...wanted);
    }
    if (!this.rowHeight && rows.length) this.rowHeight = rows[0].offsetHeight;
    setText(
      this.note,
      shown.length === network.nodes.size
        ? `${count(shown.length)} nodes`
        : `${count(shown.length)} of ${count(network.nodes.size)} nodes`,
    );
  }
}

function spacer() {
  return el("tr", { className: "spacer", ariaHidden: "true" }, el("td", { colSpan: 10 }));
}

/** A cell's text, and the same as its title: names and versions of up to 32 characters are
 * cut short by their columns, and read whole on hover. */
function setWhole(cell, text) {
  setText(cell, text);
  if (cell.title !== text) cell.title = text;
}
