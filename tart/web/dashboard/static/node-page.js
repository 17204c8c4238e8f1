// A node's page (#/node/<id>): its node information, sessions, latest events (live) and the
// frames it sent that did not decode, each with its bytes and the failing byte marked.

import { getJson } from "./api.js";
import { count, dateTime, el, setText, shortId } from "./format.js";
import { EventTable } from "./feed.js";

const EVENTS_SHOWN = 100;
const ERRORS_PAGE = 20;
const HEX_ROW = 16;
// A frame can be up to a megabyte: show its first rows and those around the failing byte.
const HEAD_ROWS = 4;
const CONTEXT_ROWS = 8;

export class NodePage {
  constructor(root, { catalog, network }) {
    this.root = root;
    this.network = network;
    this.nodeId = null;
    const $ = (id) => root.querySelector(`#${id}`);
    this.title = $("node-title");
    this.missing = $("node-missing");
    this.info = $("node-info");
    this.sessions = $("node-sessions").tBodies[0];
    this.errors = $("node-errors");
    this.errorsNote = $("node-errors-note");
    this.more = $("node-errors-more");
    this.events = new EventTable($("node-events"), $("node-inspect"), $("node-events-note"), {
      catalog,
      network,
      cap: EVENTS_SHOWN,
      columns: "event_id",
    });
    this.more.addEventListener("click", () => this.loadErrors(this.olderErrors));
  }

  get isOpen() {
    return this.nodeId !== null;
  }

  async open(nodeId) {
    this.nodeId = nodeId;
    this.title.textContent = `Node ${shortId(nodeId)}`;
    this.missing.hidden = true;
    this.info.replaceChildren();
    this.sessions.replaceChildren();
    this.errors.replaceChildren();
    this.facts = null;
    this.events.clear();
    this.errorsShown = new Set();
    this.olderErrors = null;
    await this.refresh();
    if (this.nodeId !== nodeId || !this.missing.hidden) return;
    try {
      const page = await getJson(`api/nodes/${nodeId}/events?limit=${EVENTS_SHOWN}`);
      if (this.nodeId === nodeId) this.events.addPage(page.events);
    } catch (error) {
      this.showProblem(error);
    }
  }

  close() {
    this.nodeId = null;
  }

  /** An event of the live stream: shown if it is this node's. */
  offer(event) {
    if (event.node_id === this.nodeId) this.events.add(event);
  }

  draw() {
    if (!this.isOpen) return;
    this.events.draw();
    const node = this.network.nodes.get(this.nodeId);
    if (node && this.facts) {
      const best = this.network.totals().best;
      setText(this.facts.events, count(Math.max(node.events, this.facts.stored)));
      setText(this.facts.behind, node.best == null || best == null ? "–" : count(best - node.best));
    }
  }

  /** The node's details and its newest decode errors, again (every few seconds while open). */
  async refresh() {
    const nodeId = this.nodeId;
    let details;
    try {
      details = await getJson(`api/nodes/${nodeId}`);
    } catch (error) {
      if (this.nodeId === nodeId) this.showProblem(error);
      return;
    }
    if (this.nodeId !== nodeId) return;
    this.missing.hidden = true;
    this.showDetails(details);
    await this.loadErrors(null);
  }

  showProblem(error) {
    this.missing.hidden = false;
    this.missing.textContent =
      error.status === 404 ? `No node with id ${this.nodeId} has connected to this TART.` : error.message;
  }

  showDetails(node) {
    const live = this.network.nodes.get(node.node_id);
    const best = this.network.totals().best;
    const blockSlot = live?.best ?? node.best_block.slot;
    const info = node.node_info;
    const address = info.peer_address ? `${info.peer_address.address} port ${info.peer_address.port}` : "–";
    setText(this.title, `${node.implementation_name ?? "Node"} ${node.implementation_version ?? ""} · ${shortId(node.node_id)}`);
    const params = el("details", {}, el("summary", { textContent: "show" }),
      el("pre", { textContent: JSON.stringify(info.params, null, 2) }));
    const rows = [
      ["Node id", el("code", { textContent: node.node_id })],
      ["Implementation", `${node.implementation_name ?? "–"} ${node.implementation_version ?? ""}`],
      ["Connected", node.is_connected
        ? `yes, since ${dateTime(node.connected_at)}`
        : `no, since ${dateTime(node.disconnected_at)}`],
      ["First seen", dateTime(node.first_seen)],
      ["Last seen", dateTime(node.last_seen_at)],
      ["Peer address", address],
      ["Protocol version", String(info.protocol_version ?? "–")],
      ["Gray Paper", info.gp_version ?? "–"],
      ["Genesis", el("code", { textContent: info.genesis ?? "–" })],
      ["Flags", String(info.flags ?? "–")],
      ["Note", info.note || "–"],
      ["Best block", block(blockSlot, node.best_block.hash)],
      ["Finalized block", block(live?.finalized ?? node.finalized_block.slot, node.finalized_block.hash)],
      ["Blocks behind", el("span", { textContent: blockSlot == null || best == null ? "–" : count(best - blockSlot) })],
      ["Events stored", el("span", { textContent: count(Math.max(live?.events ?? 0, node.event_count)) })],
      ["JAM parameters", params],
    ];
    // Kept current between refreshes from the live stream (draw()).
    this.facts = {
      behind: rows.find(([term]) => term === "Blocks behind")[1],
      events: rows.find(([term]) => term === "Events stored")[1],
      stored: node.event_count,
    };
    const wasOpen = this.info.querySelector("details")?.open;
    params.open = Boolean(wasOpen);
    this.info.replaceChildren(
      ...rows.flatMap(([term, value]) => [el("dt", { textContent: term }), el("dd", {}, value)]),
    );
    this.sessions.replaceChildren(
      ...node.sessions.map((session) =>
        el("tr", {},
          el("td", { textContent: String(session.id) }),
          el("td", { textContent: session.remote_address }),
          el("td", { textContent: dateTime(session.opened_at) }),
          el("td", { textContent: session.closed_at ? dateTime(session.closed_at) : "open" }),
          el("td", { className: "num", textContent: count(session.events_received) }),
          el("td", { className: "num", textContent: count(session.events_stored) }),
          el("td", { className: "num", textContent: count(session.events_rate_limited) }),
          el("td", { className: "num", textContent: count(session.events_undecodable) }),
          el("td", { textContent: session.close_reason ?? "", title: session.close_reason ?? "" }),
        )),
    );
  }

  /** Newest decode errors (before = null) or the page before `before`. */
  async loadErrors(before) {
    const nodeId = this.nodeId;
    const query = `limit=${ERRORS_PAGE}${before == null ? "" : `&before_id=${before}`}`;
    let page;
    try {
      page = await getJson(`api/nodes/${nodeId}/errors?${query}`);
    } catch (error) {
      if (this.nodeId === nodeId) this.showProblem(error);
      return;
    }
    if (this.nodeId !== nodeId) return;
    const fresh = page.errors.filter((error) => !this.errorsShown.has(error.id));
    for (const error of fresh) this.errorsShown.add(error.id);
    const cards = fresh.map(decodeErrorCard);
    if (before == null) this.errors.prepend(...cards);
    else this.errors.append(...cards);
    if (before != null || this.olderErrors == null) {
      this.olderErrors = page.next;
      this.more.hidden = page.next == null;
    }
    setText(this.errorsNote, this.errorsShown.size
      ? `${count(this.errorsShown.size)} shown, newest first`
      : "none: every frame of this node decoded");
  }
}

function block(slot, hash) {
  if (slot == null) return "–";
  return el("span", {}, `slot ${count(slot)} `, hash ? el("code", { textContent: hash, title: hash }) : null);
}

function decodeErrorCard(error) {
  const what = error.event_name
    ? `${error.event_name} (${error.discriminator})`
    : error.discriminator != null ? `event ${error.discriminator}` : "frame";
  return el("article", { className: "decode-error", dataset: { errorId: error.id } },
    el("h3", {}, what,
      error.field_path ? " · " : null,
      error.field_path ? el("code", { className: "field", textContent: error.field_path }) : null,
      error.byte_offset == null ? null : ` · at byte ${error.byte_offset}`),
    el("p", { className: "reason", textContent: error.reason }),
    el("p", { className: "note",
      textContent: `received ${dateTime(error.received_at)} · session ${error.session_id ?? "–"} · ` +
        `event id ${error.event_id ?? "–"} · ${count(error.raw_length)} bytes (after the 4-byte size)` }),
    hexDump(error.raw, error.byte_offset),
  );
}

/** The frame as hex, 16 bytes a row after its offset, the byte at `offset` marked. */
export function hexDump(raw, offset) {
  const hex = raw.startsWith("0x") ? raw.slice(2) : raw;
  const length = hex.length / 2;
  const rows = Math.ceil(length / HEX_ROW);
  const failing = offset == null ? -1 : Math.floor(offset / HEX_ROW);
  const keep = (row) => row < HEAD_ROWS || Math.abs(row - failing) <= CONTEXT_ROWS;
  const pre = el("pre", { className: "hexdump" });
  let skipped = 0;
  for (let row = 0; row < rows; row += 1) {
    if (!keep(row)) {
      skipped += HEX_ROW;
      continue;
    }
    if (skipped) {
      pre.append(el("span", { className: "offset", textContent: `… ${count(skipped)} bytes …\n` }));
      skipped = 0;
    }
    // Offsets in decimal, as byte_offset is given.
    pre.append(el("span", { className: "offset", textContent: String(row * HEX_ROW).padStart(7) + " " }));
    for (let n = row * HEX_ROW; n < Math.min(length, (row + 1) * HEX_ROW); n += 1) {
      const byte = hex.slice(2 * n, 2 * n + 2);
      const separator = n % HEX_ROW === 8 ? "  " : " ";
      pre.append(separator);
      pre.append(n === offset
        ? el("mark", { textContent: byte, title: `byte ${n}: decoding failed here` })
        : byte);
    }
    pre.append("\n");
  }
  if (skipped) pre.append(el("span", { className: "offset", textContent: `… ${count(skipped)} bytes\n` }));
  if (offset != null && offset >= length) {
    pre.append(el("span", { className: "end",
      textContent: `end of frame at byte ${length}: decoding needed more bytes` }));
  }
  return pre;
}
