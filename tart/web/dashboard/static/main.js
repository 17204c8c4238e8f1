// The dashboard: loads what the API has, follows /api/ws, and draws in batches.
//
// Events are taken in as they arrive (counted, matched against the filters, kept if shown);
// nothing is drawn per event. Timers draw the tiles and the feed twice a second and the nodes
// table and chart once a second, so the page's cost follows the screen, not the rate.

import { ApiError, LiveStream, getJson } from "./api.js";
import { RateChart } from "./chart.js";
import { EventTable } from "./feed.js";
import { count, el, millis, nodeLabel, rate, setText } from "./format.js";
import { Catalog, Network } from "./model.js";
import { NodePage } from "./node-page.js";
import { NodesTable } from "./nodes-table.js";
import { Propagation } from "./propagation.js";

const FEED_SHOWN = 100;
const FAST_DRAW_MS = 500;
const SLOW_DRAW_MS = 1000;
// Unknown nodes in the stream make /api/nodes be read again, at most this often.
const NODES_REFRESH_MS = 2000;
const TIMESERIES = "/api/analytics/timeseries";
const BLOCKS = "/api/blocks";

const $ = (id) => document.getElementById(id);

class Dashboard {
  constructor(catalog) {
    this.catalog = catalog;
    this.network = new Network(catalog);
    this.nodesTable = new NodesTable($("nodes"), $("nodes-search"), $("nodes-count"), this.network);
    this.feed = new EventTable($("feed"), $("feed-inspect"), $("feed-note"), {
      catalog,
      network: this.network,
      cap: FEED_SHOWN,
      columns: "node",
    });
    this.chart = new RateChart($("chart"), $("chart-legend"), $("chart-tip"), $("chart-note"), catalog);
    this.nodePage = new NodePage($("node-page"), { catalog, network: this.network });
    this.filter = { nodeId: null, types: null };
    this.filterNodesVersion = -1;
    this.refreshing = null;
    this.nodesWanted = false;
    this.fillTypeFilter();
    $("feed-node").addEventListener("change", () => this.changeFilter());
    $("feed-type").addEventListener("change", () => this.changeFilter());
    $("feed-pause").addEventListener("click", (click) => {
      const paused = click.currentTarget.getAttribute("aria-pressed") !== "true";
      click.currentTarget.setAttribute("aria-pressed", String(paused));
      click.currentTarget.textContent = paused ? "Resume" : "Pause";
      this.feed.setPaused(paused);
    });
    window.addEventListener("hashchange", () => this.route());
  }

  async start() {
    const [nodes, recent, openapi] = await Promise.all([
      getJson("api/nodes"),
      getJson(`api/events?limit=${FEED_SHOWN}`),
      getJson("api/openapi.json"),
    ]);
    this.network.applyNodes(nodes.nodes);
    this.feed.addPage(recent.events);
    const lastId = recent.events.length ? recent.events[0].id : 0;
    this.stream = new LiveStream(
      {
        onEvent: (event, replayed) => this.take(event, replayed),
        onStats: (data, serverMs) => this.stats(data, serverMs),
        onState: (state, detail) => this.linkState(state, detail),
        onReplayed: (data) => this.replayed(data),
        onConnected: () => this.refreshNodes(),
      },
      lastId,
    );
    // The stream brings every event after the newest one stored now: the chart counts them
    // from the next whole column after that one's arrival.
    const newest = recent.events.length ? millis(recent.events[0].received_at) : null;
    this.chart.followFrom(newest);
    this.stream.start();
    // History comes from the analytics endpoint where the server has it (its OpenAPI says).
    this.historyAvailable = TIMESERIES in openapi.paths;
    if (this.historyAvailable) {
      this.loadHistory();
    } else {
      $("chart-note").textContent = "since this page opened (this TART keeps no history)";
    }
    if (BLOCKS in openapi.paths) {
      $("propagation").hidden = false;
      new Propagation($("blocks"), $("funnel"), $("funnel-failures"), $("propagation-note"), this.network).start();
    }
    this.route();
    setInterval(() => this.drawFast(), FAST_DRAW_MS);
    setInterval(() => this.drawSlow(), SLOW_DRAW_MS);
    this.drawFast();
    this.drawSlow();
  }

  async loadHistory() {
    try {
      const answer = await getJson(`${TIMESERIES.slice(1)}?by=category`);
      this.chart.setHistory(answer);
      $("chart-note").textContent = `per ${answer.step / 60} min before this page opened, then per 5 s`;
    } catch (error) {
      $("chart-note").textContent = `no history: ${error.message}`;
    }
  }

  take(event, replayed) {
    const received = millis(event.received_at);
    if (!this.network.applyEvent(event, received, replayed)) this.wantNodes();
    this.chart.count(event.event_type, received);
    const filter = this.filter;
    if ((filter.nodeId === null || event.node_id === filter.nodeId) &&
        (filter.types === null || filter.types.has(event.event_type))) {
      this.feed.add(event);
    }
    if (this.nodePage.isOpen) this.nodePage.offer(event);
  }

  stats(data, serverMs) {
    this.network.applyStats(data, serverMs);
    this.refreshNodes();
    if (this.nodePage.isOpen) this.nodePage.refresh();
  }

  replayed(data) {
    const banner = $("banner");
    if (data.complete) {
      if (this.wasDown) {
        banner.className = "banner info";
        banner.textContent = `Reconnected to TART: ${count(data.events)} events that arrived ` +
          "meanwhile were replayed.";
        banner.hidden = false;
        setTimeout(() => (banner.hidden = true), 5000);
      }
    } else {
      // Too much to replay: the figures lack what was skipped. The database has it.
      banner.className = "banner info";
      banner.textContent = `Reconnected to TART after ${count(data.missing.through_id - data.since_id)} ` +
        "events: the chart and feed skip those the replay could not carry; node figures are re-read.";
      banner.hidden = false;
      this.network.forgetLiveBlocks();
      if (this.historyAvailable) this.loadHistory();
    }
    this.wasDown = false;
    this.refreshNodes();
  }

  linkState(state, detail) {
    const link = $("link");
    link.dataset.state = state;
    const banner = $("banner");
    if (state === "live") {
      link.textContent = "Live";
      return;
    }
    if (state === "connecting") {
      link.textContent = detail ? `Connecting… (${detail})` : "Connecting…";
      return;
    }
    this.wasDown = true;
    link.textContent = "Disconnected";
    banner.className = "banner";
    banner.hidden = false;
    const say = () => {
      const seconds = Math.max(0, Math.ceil((detail.retryAt - Date.now()) / 1000));
      banner.textContent = `Lost the connection to TART (${detail.reason}). ` +
        (seconds ? `Reconnecting in ${seconds} s…` : "Reconnecting…");
    };
    say();
    clearInterval(this.countdown);
    this.countdown = setInterval(() => {
      if (link.dataset.state !== "down") clearInterval(this.countdown);
      else say();
    }, 500);
  }

  /** Read /api/nodes again (connections, names, counters); one request at a time. */
  async refreshNodes() {
    if (this.refreshing) {
      this.nodesWanted = true;
      return;
    }
    this.refreshing = getJson("api/nodes")
      .then((answer) => this.network.applyNodes(answer.nodes))
      .catch(() => {}) // the link state already says when TART is away
      .finally(() => {
        this.refreshing = null;
        if (this.nodesWanted) {
          this.nodesWanted = false;
          setTimeout(() => this.refreshNodes(), NODES_REFRESH_MS);
        }
      });
  }

  wantNodes() {
    if (!this.nodesWanted) {
      this.nodesWanted = true;
      if (!this.refreshing) setTimeout(() => { this.nodesWanted = false; this.refreshNodes(); }, 200);
    }
  }

  fillTypeFilter() {
    const select = $("feed-type");
    for (const category of this.catalog.categories) {
      const group = el("optgroup", { label: category.label });
      group.append(el("option", { value: `c:${category.key}`, textContent: `All ${category.label.toLowerCase()}` }));
      for (const type of category.event_types) {
        group.append(el("option", { value: `t:${type}`, textContent: `${type} ${this.catalog.name(type)}` }));
      }
      select.append(group);
    }
  }

  fillNodeFilter() {
    if (this.filterNodesVersion === this.network.version) return;
    this.filterNodesVersion = this.network.version;
    const select = $("feed-node");
    const chosen = select.value;
    select.replaceChildren(
      el("option", { value: "", textContent: "All nodes" }),
      ...this.network.sortedNodes().map((node) =>
        el("option", { value: node.id, textContent: nodeLabel(node, node.id) })),
    );
    select.value = chosen;
  }

  /** The feed's filters changed: show the stored events that match, then the live ones. */
  async changeFilter() {
    const nodeId = $("feed-node").value || null;
    const typeChoice = $("feed-type").value;
    let types = null;
    if (typeChoice.startsWith("t:")) types = [Number(typeChoice.slice(2))];
    if (typeChoice.startsWith("c:")) {
      types = this.catalog.categories[this.catalog.categoryIndex.get(typeChoice.slice(2))].event_types;
    }
    const filter = { nodeId, types: types && new Set(types) };
    this.filter = filter;
    this.feed.clear();
    this.feed.draw();
    const query = new URLSearchParams({ limit: String(FEED_SHOWN) });
    if (nodeId) query.set("node_id", nodeId);
    if (types) query.set("event_type", types.join(","));
    try {
      const page = await getJson(`api/events?${query}`);
      if (this.filter === filter) {
        this.feed.addPage(page.events);
        this.feed.draw();
      }
    } catch (error) {
      setText($("feed-note"), error.message);
    }
  }

  route() {
    const match = location.hash.match(/^#\/node\/(?:0x)?([0-9a-fA-F]{64})$/);
    $("overview").hidden = Boolean(match);
    $("node-page").hidden = !match;
    if (match) {
      this.nodePage.open(match[1].toLowerCase());
      window.scrollTo(0, 0);
    } else {
      this.nodePage.close();
    }
  }

  drawFast() {
    const totals = this.network.totals();
    setText($("tile-nodes"), `${count(totals.connected)} / ${count(totals.total)}`);
    setText($("tile-nodes-note"), `${count(totals.total - totals.connected)} disconnected`);
    setText($("tile-best"), count(totals.best));
    setText($("tile-finalized"), count(totals.finalized));
    setText($("tile-finalized-note"),
      totals.best == null || totals.finalized == null ? "" : `${count(totals.best - totals.finalized)} behind best`);
    setText($("tile-rate"), rate(this.network.eventRate()));
    setText($("tile-rate-note"), `${count(totals.events)} stored in all`);
    const errors = this.network.decodeErrors;
    setText($("tile-errors"), errors ? rate(errors.rate) : "–");
    setText($("tile-errors-note"), errors ? `${count(errors.total)} in all` : "");
    if ($("overview").hidden) this.nodePage.draw();
    else this.feed.draw();
  }

  drawSlow() {
    const now = this.stream.serverNow();
    if ($("overview").hidden) return;
    this.nodesTable.draw(now);
    this.chart.draw(now);
    this.fillNodeFilter();
  }
}

async function main() {
  const banner = $("banner");
  for (let attempt = 1; ; attempt += 1) {
    try {
      const catalog = new Catalog(await getJson("api/event-types"));
      banner.hidden = true;
      await new Dashboard(catalog).start();
      return;
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      $("link").dataset.state = "down";
      $("link").textContent = "Disconnected";
      banner.className = "banner";
      banner.hidden = false;
      banner.textContent = `Cannot load the dashboard: ${error.message}. Trying again…`;
      await new Promise((resolve) => setTimeout(resolve, Math.min(10, attempt) * 1000));
    }
  }
}

main();
