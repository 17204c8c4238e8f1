// Block propagation and the work-package funnel: the latest blocks with how fast they reached
// the nodes, and the last hour's work-packages stage by stage (GET /api/blocks and
// /api/workpackages, read every few seconds; see docs/BLOCKS.md).

import { getJson } from "./api.js";
import { count, el, nodeLabel, setText } from "./format.js";

const BLOCKS_SHOWN = 12;
const REFRESH_MS = 5000;
const STAGE_LABELS = {
  submitted: "Submitted / shared",
  received: "Received",
  authorized: "Authorized",
  refined: "Refined",
  report_built: "Report built",
  signature_sent: "Signature sent",
  guarantee_built: "Guarantee built",
  guarantee_sent: "Guarantee sent",
  distributed: "Distributed",
};

// Spreads run from fractions of a millisecond to minutes (a node that catches up late): from
// 10 s on they are in seconds, so that every figure fits its column in 7 characters.
function ms(value) {
  if (value == null) return "–";
  if (value >= 10_000) {
    const seconds = value / 1000;
    return `${seconds >= 100 ? Math.round(seconds) : seconds.toFixed(1)} s`;
  }
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ms`;
}

function shortHash(hash) {
  return `${hash.slice(0, 10)}…`;
}

export class Propagation {
  constructor(blocksTable, funnelTable, failuresList, note, network) {
    this.blocksTable = blocksTable;
    this.funnelTable = funnelTable;
    this.failuresList = failuresList;
    this.note = note;
    this.network = network;
  }

  start() {
    this.refresh();
    setInterval(() => this.refresh(), REFRESH_MS);
  }

  async refresh() {
    try {
      const [blocks, packages] = await Promise.all([
        getJson(`api/blocks?limit=${BLOCKS_SHOWN}`),
        getJson("api/workpackages?limit=1"),
      ]);
      this.drawBlocks(blocks.blocks);
      this.drawFunnel(packages.funnel);
      this.drawFailures(packages.failures);
      setText(this.note, "");
    } catch (error) {
      setText(this.note, `not available: ${error.message}`);
    }
  }

  drawBlocks(blocks) {
    const body = this.blocksTable.tBodies[0];
    body.replaceChildren(
      ...blocks.map((block) => {
        const author = block.author_node_id;
        const spread = block.spread_ms;
        return el(
          "tr",
          { dataset: { hash: block.header_hash } },
          el("td", { className: "num", textContent: count(block.slot) }),
          el("td", { className: "id", textContent: shortHash(block.header_hash), title: block.header_hash }),
          el("td", { textContent: author ? nodeLabel(this.network.nodes.get(author), author) : "–" }),
          el("td", { className: "num", textContent: `${count(block.nodes_had)} / ${count(block.reporting_nodes)}` }),
          ...["p50", "p90", "p99", "p100"].map((p) => el("td", { className: "num", textContent: ms(spread[p]) })),
        );
      }),
    );
  }

  drawFunnel(funnel) {
    const body = this.funnelTable.tBodies[0];
    const rows = [];
    for (const [role, part] of Object.entries(funnel)) {
      const first = part.stages[0].count || 1;
      for (const stage of part.stages) {
        const bar = el("span", { className: "funnel-bar" });
        bar.style.width = `${Math.round((100 * stage.count) / first)}%`;
        rows.push(
          el(
            "tr",
            { dataset: { role, stage: stage.stage } },
            el("td", { textContent: role }),
            el("td", { textContent: STAGE_LABELS[stage.stage] || stage.stage }),
            el("td", { className: "num", textContent: count(stage.count) }),
            el("td", { className: "bar-cell" }, bar),
            el("td", { className: "num", textContent: ms(stage.latency_ms.p50) }),
            el("td", { className: "num", textContent: ms(stage.latency_ms.p99) }),
          ),
        );
      }
      rows.push(
        el(
          "tr",
          { className: "failed-row", dataset: { role, stage: "failed" } },
          el("td", { textContent: role }),
          el("td", { textContent: "Failed" }),
          el("td", { className: "num", textContent: count(part.failed) }),
          el("td"),
          el("td"),
          el("td"),
        ),
      );
    }
    body.replaceChildren(...rows);
  }

  drawFailures(failures) {
    this.failuresList.replaceChildren(
      ...failures.map((failure) =>
        el("li", { textContent: `${count(failure.count)} × ${failure.event_name}: ${failure.reason || "(no reason)"}` }),
      ),
    );
    if (!failures.length) this.failuresList.append(el("li", { className: "note", textContent: "No failures in the last hour" }));
  }
}
