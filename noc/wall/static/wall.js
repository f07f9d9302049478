// The NOC wall screen: draws what /wall/events pushes. No library, no CDN, no reload.
"use strict";

const LANG = document.documentElement.lang === "en" ? "en" : "id";
const WIB_S = 7 * 3600;
const SVGNS = "http://www.w3.org/2000/svg";

const T = {
  id: {
    title: "NOC Kota Bogor", problems: "Gangguan", uplink: "Uplink internet",
    allOk: "Semua perangkat normal", nProblems: (n) => `${n} gangguan aktif`,
    uplinkHot: (p, c) => `uplink padat: ${p}% dari ${c} Mbps`,
    behind: (n) => `${n} perangkat di belakangnya tidak terjangkau`,
    acked: (who) => `✓ ditangani${who ? " oleh " + who : ""}`,
    none: "Tidak ada gangguan", more: (n) => `… dan ${n} lainnya`,
    of: (cap) => `dari kapasitas kontrak ${cap} Mbps`, noData: "belum ada data",
    dr: "Situs DR", drUnknown: "belum diperiksa",
    drState: { ready: "SIAP", degraded: "TERBATAS", not_ready: "TIDAK SIAP" },
    collector: "Kolektor", polled: (a) => `polling terakhir ${a} lalu`,
    notPolling: "TIDAK melakukan polling", storeOk: "penyimpanan normal",
    storeDown: (n, a) => `penyimpanan tidak menjawab selama ${a}: ${n} kejadian menunggu di jurnal, tidak ada yang hilang`,
    lost: (t) => `Koneksi ke kolektor terputus. Data terakhir pukul ${t}; mencoba lagi…`,
    counts: (n) => `${n} perangkat`,
    state: { up: "normal", down: "mati", unreachable: "tidak terjangkau", flapping: "tidak stabil",
             maintenance: "pemeliharaan", unknown: "belum dipolling" },
    kind: { bts: "BTS", fiber_point: "Titik fiber", office: "Kantor", datacenter: "Data center",
            dr: "Situs DR" },
    down: "mati", flapping: "tidak stabil", link: "Jalur",
    legend: ["normal, beban < 80%", "80–90%", "≥ 90% kapasitas kontrak", "mati (garis putus)",
             "tidak terjangkau", "tidak stabil", "pemeliharaan", "belum dipolling"],
    day: "hari", hour: "jam", minute: "menit", second: "detik", lessMinute: "< 1 menit",
    in: "masuk", out: "keluar", internet: "Internet",
    services: "Layanan", service: "Layanan", serviceDown: "tidak dapat diakses",
    servicesUp: (u, n) => `${u} dari ${n} normal`,
    talkers: "Pemakai terbesar", talkersNote: "5 menit terakhir, turun / naik",
  },
  en: {
    title: "Kota Bogor NOC", problems: "Problems", uplink: "Internet uplink",
    allOk: "All devices up", nProblems: (n) => `${n} active problem${n === 1 ? "" : "s"}`,
    uplinkHot: (p, c) => `uplink congested: ${p}% of ${c} Mbps`,
    behind: (n) => `${n} device${n === 1 ? "" : "s"} behind it unreachable`,
    acked: (who) => `✓ acknowledged${who ? " by " + who : ""}`,
    none: "No problems", more: (n) => `… and ${n} more`,
    of: (cap) => `of the ${cap} Mbps contracted capacity`, noData: "no data yet",
    dr: "DR site", drUnknown: "not checked yet",
    drState: { ready: "READY", degraded: "DEGRADED", not_ready: "NOT READY" },
    collector: "Collector", polled: (a) => `last poll ${a} ago`,
    notPolling: "NOT polling", storeOk: "store OK",
    storeDown: (n, a) => `store not answering for ${a}: ${n} events waiting in the journal, none lost`,
    lost: (t) => `Connection to the collector lost. Last data at ${t}; retrying…`,
    counts: (n) => `${n} devices`,
    state: { up: "up", down: "down", unreachable: "unreachable", flapping: "flapping",
             maintenance: "maintenance", unknown: "not polled yet" },
    kind: { bts: "BTS", fiber_point: "Fibre point", office: "Office", datacenter: "Data centre",
            dr: "DR site" },
    down: "down", flapping: "flapping", link: "Link",
    legend: ["up, load < 80%", "80–90%", "≥ 90% of the contract", "down (dashed)",
             "unreachable", "flapping", "maintenance", "not polled yet"],
    day: "d", hour: "h", minute: "min", second: "s", lessMinute: "< 1 min",
    in: "in", out: "out", internet: "Internet",
    services: "Services", service: "Service", serviceDown: "down",
    servicesUp: (u, n) => `${u} of ${n} up`,
    talkers: "Top users", talkersNote: "last 5 minutes, down / up",
  },
}[LANG];

const COLOUR = { up: "#2ea043", down: "#f85149", unreachable: "#bc8cff", flapping: "#f0883e",
                 maintenance: "#58a6ff", unknown: "#6e7681" };

function $(id) { return document.getElementById(id); }
function el(tag, attrs, text) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVGNS, tag.slice(4))
                                      : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
}
function wib(epoch) {
  return new Date((epoch + WIB_S) * 1000).toISOString().slice(11, 16) + " WIB";
}
function wibHour(epoch) { return new Date((epoch + WIB_S) * 1000).toISOString().slice(11, 16); }
function lasted(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return T.lessMinute;
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  const parts = [];
  if (d) parts.push(`${d} ${T.day}`);
  if (h) parts.push(`${h} ${T.hour}`);
  if (!d && m) parts.push(`${m} ${T.minute}`);
  return parts.join(" ");
}
function ago(seconds) {
  const s = Math.max(0, Math.round(seconds));
  return s < 60 ? `${s} ${T.second}` : lasted(s);
}
// Numbers as the screen's language writes them: 5,3 in Bahasa Indonesia, 5.3 in English.
const ONE_DECIMAL = new Intl.NumberFormat(LANG === "id" ? "id-ID" : "en-GB",
  { minimumFractionDigits: 1, maximumFractionDigits: 1 });

function loadLevel(u) {
  if (u === null || u === undefined) return "none";
  return u >= 0.9 ? "hot" : u >= 0.8 ? "warm" : u >= 0.5 ? "busy" : "ok";
}
// A link at 90% of its contract or more is magenta, solid; a link that is down is red,
// dashed: never the same red for both.
const LOAD_COLOUR = { none: "#6e7681", ok: "#2ea043", busy: "#2ea043", warm: "#d29922",
                      hot: "#db61a2" };

let view = null;
let clockSkew = 0; // server time minus browser time
let lastMessage = Date.now();

// --- the map ------------------------------------------------------------------------------

const W = 1200, H = 900, PAD = 60;
let projection = null;

function project(sites) {
  const lats = sites.map((s) => s.lat), lons = sites.map((s) => s.lon);
  const minLat = Math.min(...lats), maxLat = Math.max(...lats);
  const minLon = Math.min(...lons), maxLon = Math.max(...lons);
  const k = Math.cos(((minLat + maxLat) / 2) * Math.PI / 180);
  const spanX = Math.max((maxLon - minLon) * k, 1e-6), spanY = Math.max(maxLat - minLat, 1e-6);
  // Room at the top for the Internet, and at the bottom for the legend over the map.
  const top = 60, bottom = 110;
  const scale = Math.min((W - 2 * PAD) / spanX, (H - top - bottom - PAD) / spanY);
  const offX = (W - spanX * scale) / 2, offY = top + (H - top - bottom - spanY * scale) / 2;
  return (lat, lon) => [offX + (lon - minLon) * k * scale, offY + (maxLat - lat) * scale];
}

// --- which view: the schematic (the dependency tree) or the map -------------------------
// `?view=schematic|map|alternate` chooses (and is remembered by this screen); by default the
// schematic, once the inventory's tree is known. Alternating switches every 30 s.
const VIEW_KEY = "noc-wall-view";
const ALTERNATE_S = 30;
function chosenView() {
  const asked = new URLSearchParams(window.location.search).get("view");
  if (["schematic", "map", "alternate"].includes(asked)) {
    try { localStorage.setItem(VIEW_KEY, asked); } catch (e) { /* private mode */ }
    return asked;
  }
  try { return localStorage.getItem(VIEW_KEY) || "schematic"; } catch (e) { return "schematic"; }
}
let viewMode = "schematic";
function showing(v) {
  const tree = v.tree && v.tree.some((r) => r.depth > 0);
  if (!tree || viewMode === "map") return "map";
  if (viewMode === "alternate") return Math.floor(Date.now() / 1000 / ALTERNATE_S) % 2 ? "map" : "schematic";
  return "schematic";
}

// --- the schematic -------------------------------------------------------------------------

let measure = null;
function textWidth(text, px) {
  if (!measure) measure = document.createElement("canvas").getContext("2d");
  measure.font = `${px}px "DejaVu Sans", Arial, sans-serif`;
  return measure.measureText(text).width;
}

// The tree as rows: Internet at the top left, then each row's device at its depth, the leaves
// behind it (offices under their BTS) as chips in its row. Rows never share a line, and chips
// wrap onto a line of their own, so no label can cover another.
function drawSchematic(v) {
  const svg = $("map");
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  svg.textContent = "";
  svg.dataset.view = "schematic";
  const NODE_PX = 14, CHIP_PX = 12, INDENT = 96, LEFT = 26, TOP = 28, BOTTOM = 96;
  const lines = []; // [row, chips on this line]
  for (const row of v.tree) {
    const x0 = LEFT + 40 + row.depth * INDENT;
    let x = x0 + 12 + textWidth(row.node, NODE_PX) + 18;
    let current = [];
    lines.push([row, current, x0]);
    for (const chip of row.chips) {
      const w = textWidth(chip, CHIP_PX) + 14;
      if (x + w > W - 8 && current.length) {
        current = [];
        lines.push([null, current, x0]);
        x = x0 + 12 + INDENT / 2;
      }
      current.push([chip, x, w]);
      x += w + 6;
    }
  }
  const step = Math.min(28, (H - TOP - BOTTOM) / (lines.length + 1));
  const y0 = TOP + step;
  const at = {};
  let line = 0;
  for (const [row, , x0] of lines) {
    if (row) at[row.node] = [x0, y0 + line * step];
    line += 1;
  }
  const edges = el("svg:g"), nodes = el("svg:g"), labels = el("svg:g");
  const internet = [LEFT, TOP];
  nodes.appendChild(el("svg:circle", { cx: internet[0], cy: internet[1], r: 9, fill: "#30363d",
    stroke: "#8b949e", "stroke-width": 2 }));
  labels.appendChild(el("svg:text", { x: internet[0] + 14, y: internet[1] + 5, class: "tree-label",
    "data-label": T.internet, "font-size": NODE_PX }, T.internet));
  const parentOf = {};
  for (const row of v.tree) {
    for (const chip of row.chips) parentOf[chip] = row.node;
  }
  let stack = [];
  for (const row of v.tree) {
    stack = stack.slice(0, row.depth);
    const parent = row.depth === 0 ? null : stack[row.depth - 1];
    stack.push(row.node);
    const [x, y] = at[row.node];
    const from = parent ? at[parent] : internet;
    edges.appendChild(el("svg:path", { d: `M${from[0]},${from[1]} V${y} H${x}`, fill: "none",
      stroke: "#484f58", "stroke-width": 1.5 }));
  }
  line = 0;
  for (const [row, chips] of lines) {
    const y = y0 + line * step;
    line += 1;
    if (row) {
      const [x] = at[row.node];
      const state = v.devices[row.node] || "unknown";
      nodes.appendChild(el("svg:circle", { cx: x, cy: y, r: 6, fill: COLOUR[state],
        "data-device": row.node, "data-state": state }));
      labels.appendChild(el("svg:text", { x: x + 12, y: y + NODE_PX * 0.35, "font-size": NODE_PX,
        class: "tree-label" + (state === "down" ? " problem" : ""), "data-label": row.node },
        row.node));
    }
    for (const [chip, cx, w] of chips) {
      const state = v.devices[chip] || "unknown";
      nodes.appendChild(el("svg:rect", { x: cx, y: y - 8, width: w, height: 16, rx: 4,
        fill: "#161b22", stroke: COLOUR[state], "stroke-width": 2,
        "data-device": chip, "data-state": state }));
      labels.appendChild(el("svg:text", { x: cx + 7, y: y + CHIP_PX * 0.35, "font-size": CHIP_PX,
        class: "chip-label" + (state === "down" ? " problem" : ""), "data-label": chip }, chip));
    }
  }
  svg.append(edges, nodes, labels);
}

function drawMap(v) {
  const svg = $("map");
  svg.dataset.view = "map";
  svg.setAttribute("viewBox", `0 0 ${W} ${H}`);
  if (!projection) projection = project(v.sites);
  const at = {};
  for (const s of v.sites) at[s.name] = projection(s.lat, s.lon);
  svg.textContent = "";
  const dc = v.sites.find((s) => s.kind === "datacenter");
  const internet = dc ? [at[dc.name][0], 30] : [W / 2, 30];
  const linkLayer = el("svg:g"), siteLayer = el("svg:g"), labelLayer = el("svg:g");
  for (const ln of v.links) {
    const a = at[ln.a];
    const b = ln.b ? at[ln.b] : internet;
    if (!a || !b || (a[0] === b[0] && a[1] === b[1])) continue;
    const level = loadLevel(ln.utilisation);
    const dead = ln.state === "down" || ln.state === "unreachable";
    const colour = dead ? COLOUR[ln.state] : ln.state === "up" ? LOAD_COLOUR[level]
                                                               : COLOUR[ln.state] || COLOUR.unknown;
    const width = ln.tier === "access" ? 3 : ln.medium === "isp" ? 9 : 6;
    const line = el("svg:line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: colour,
      "stroke-width": width, "stroke-linecap": "round", "data-link": ln.name,
      "data-state": ln.state, "data-level": level });
    if (dead) line.setAttribute("stroke-dasharray", "14 8");
    line.appendChild(el("svg:title", {}, `${T.link} ${ln.name}`));
    linkLayer.appendChild(line);
  }
  const labels = []; // [x, y, text, problem], placed once every shape is drawn
  if (v.uplink) {
    siteLayer.appendChild(el("svg:circle", { cx: internet[0], cy: internet[1], r: 14,
      fill: "#30363d", stroke: "#8b949e", "stroke-width": 2 }));
    labels.push([internet[0], internet[1], T.internet, false]);
  }
  const order = ["office", "fiber_point", "bts", "dr", "datacenter"];
  const sites = [...v.sites].sort((x, y) => order.indexOf(x.kind) - order.indexOf(y.kind));
  for (const s of sites) {
    const [x, y] = at[s.name];
    const colour = COLOUR[s.state] || COLOUR.unknown;
    let shape;
    const common = { fill: colour, stroke: "#0d1117", "stroke-width": 2, "data-site": s.name,
                     "data-state": s.state, "data-kind": s.kind };
    if (s.kind === "bts") {
      const r = 17;
      shape = el("svg:polygon", { ...common,
        points: `${x},${y - r} ${x + r * 0.95},${y + r * 0.7} ${x - r * 0.95},${y + r * 0.7}` });
    } else if (s.kind === "fiber_point") {
      const r = 11;
      shape = el("svg:polygon", { ...common, points: `${x},${y - r} ${x + r},${y} ${x},${y + r} ${x - r},${y}` });
    } else if (s.kind === "datacenter" || s.kind === "dr") {
      shape = el("svg:rect", { ...common, x: x - 15, y: y - 15, width: 30, height: 30, rx: 4 });
    } else {
      shape = el("svg:circle", { ...common, cx: x, cy: y, r: 8 });
    }
    shape.appendChild(el("svg:title", {}, `${s.title} (${T.state[s.state] || s.state})`));
    siteLayer.appendChild(shape);
    // Labels for the BTS, the data centre and the DR site; offices and fibre points only
    // when they are the problem (their names are in the problems list and in the tooltip).
    const problem = s.state === "down" || s.state === "flapping";
    const short = { bts: s.name.toUpperCase(), datacenter: "DC", dr: "DR" }[s.kind];
    if (short || problem) labels.push([x, y, problem && !short ? s.name : short, problem]);
  }
  // The big shapes (BTS, data centre, DR site) are not covered by a label either.
  const shapes = sites.filter((s) => ["bts", "datacenter", "dr"].includes(s.kind))
    .map((s) => { const [x, y] = at[s.name]; return { x0: x - 18, x1: x + 18, y0: y - 18, y1: y + 14 }; });
  placeLabels(labels, labelLayer, shapes);
  svg.append(linkLayer, siteLayer, labelLayer);
}

// Labels that never cover one another: problems first, then the data centre, the DR site and
// the BTS; each takes the first free spot around its site (right, left, above, below, then
// further out, with a leader line), or, failing all, is left to the tooltip.
function placeLabels(labels, layer, obstacles) {
  const taken = [...obstacles];
  const free = (b) => b.x0 >= 0 && b.x1 <= W && b.y0 >= 0 && b.y1 <= H &&
    taken.every((t) => b.x1 < t.x0 || b.x0 > t.x1 || b.y1 < t.y0 || b.y0 > t.y1);
  const rank = (l) => (l[3] ? 0 : l[2].length <= 2 ? 1 : 2);
  const sorted = [...labels].sort((a, b) => rank(a) - rank(b));
  for (const [x, y, text, problem] of sorted) {
    const size = problem ? 24 : 17;
    const width = size * 0.62 * text.length, height = size;
    let spot = null;
    for (const d of [20, 34, 52]) {
      for (const [dx, dy, anchor] of [[d, 0, "start"], [-d, 0, "end"], [0, -d, "middle"],
        [0, d + height * 0.6, "middle"], [d, -d * 0.8, "start"], [d, d * 0.8, "start"],
        [-d, -d * 0.8, "end"], [-d, d * 0.8, "end"]]) {
        const lx = x + dx, ly = y + dy + size * 0.4;
        const x0 = anchor === "start" ? lx : anchor === "end" ? lx - width : lx - width / 2;
        const box = { x0: x0 - 2, x1: x0 + width + 2, y0: ly - height, y1: ly + 3 };
        if (free(box)) { spot = { lx, ly, anchor, box, d }; break; }
      }
      if (spot) break;
    }
    if (!spot) continue;
    taken.push(spot.box);
    if (spot.d > 20) {
      layer.appendChild(el("svg:line", { x1: x, y1: y, x2: spot.lx, y2: spot.ly - size * 0.4,
        stroke: "#8b949e", "stroke-width": 1 }));
    }
    layer.appendChild(el("svg:text", { x: spot.lx, y: spot.ly, "text-anchor": spot.anchor,
      class: "site-label" + (problem ? " problem" : ""), "data-label": text }, text));
  }
}

function drawLegend() {
  const colours = [COLOUR.up, LOAD_COLOUR.warm, LOAD_COLOUR.hot, COLOUR.down,
                   COLOUR.unreachable, COLOUR.flapping, COLOUR.maintenance, COLOUR.unknown];
  // The two link styles as lines (solid, dashed), the states as dots.
  const kinds = ["dot", "line", "line", "dashed", "dot", "dot", "dot", "dot"];
  const legend = $("legend");
  legend.textContent = "";
  T.legend.forEach((label, i) => {
    const span = el("span", { "data-legend": kinds[i] });
    const mark = el("i", { class: kinds[i] });
    if (kinds[i] === "dot") mark.style.background = colours[i];
    else mark.style.borderTopColor = colours[i];
    span.append(mark, label);
    legend.appendChild(span);
  });
}

// --- the side panels ----------------------------------------------------------------------

function now() { return Date.now() / 1000 + clockSkew; }

function drawProblems(v) {
  const list = $("problems");
  list.textContent = "";
  const room = 6;
  if (!v.problems.length) {
    list.appendChild(el("li", { class: "none" }, T.none));
    return;
  }
  for (const p of v.problems.slice(0, room)) {
    const li = el("li", { "data-entity": p.entity, "data-behind": p.behind,
                          "data-state": p.state, class: p.state });
    const head = el("div", { class: "head" });
    // A service by the title citizens know it by; its code goes under it.
    const what = p.kind === "link" ? `${T.link} ${p.entity}`
      : p.kind === "service" ? (p.title || p.entity) : p.entity;
    const verb = p.kind === "service" && p.state === "down" ? T.serviceDown
      : p.state === "down" ? T.down : T.flapping;
    head.append(el("span", {}, `${what} ${verb}`),
                el("span", { class: "lasted", "data-since": p.since ?? "" },
                   p.since ? lasted(now() - p.since) : ""));
    li.appendChild(head);
    const detail = p.kind === "service" ? `${T.service} · ${p.entity}`
      : [p.title, p.kecamatan ? `Kec. ${p.kecamatan}` : null].filter(Boolean).join(", ");
    if (detail) li.appendChild(el("div", { class: "detail" }, detail));
    if (p.behind) li.appendChild(el("div", { class: "behind" }, T.behind(p.behind)));
    if (p.acked_by !== null && p.acked_by !== undefined) {
      li.appendChild(el("div", { class: "ack" }, T.acked(p.acked_by)));
    }
    if (p.said && p.said.length) {
      // What the device and its parent said last (traps, syslog): newest first.
      const said = el("ul", { class: "said" });
      for (const s of p.said) {
        const line = el("li", { "data-device": s.device });
        line.append(el("span", { class: "when" }, wibHour(s.at)),
                    el("span", { class: "who" }, s.device),
                    el("span", { class: "what" }, s.text));
        said.appendChild(line);
      }
      li.appendChild(said);
    }
    list.appendChild(li);
  }
  if (v.problems.length > room) {
    list.appendChild(el("li", { class: "more" }, T.more(v.problems.length - room)));
  }
}

function drawUplink(v) {
  const u = v.uplink;
  const cap = u ? Math.round(u.capacity_bps / 1e6) : 0;
  $("uplink-title").textContent = u ? `${T.uplink} · ${u.name}` : T.uplink;
  const pct = $("uplink-pct"), fill = $("gauge-fill"), rate = $("uplink-rate");
  if (!u || u.utilisation === null || u.utilisation === undefined) {
    pct.textContent = "–";
    rate.textContent = T.noData;
    fill.style.width = "0";
  } else {
    const share = u.utilisation * 100;
    pct.textContent = `${share.toFixed(0)}%`;
    pct.style.color = LOAD_COLOUR[loadLevel(u.utilisation)];
    const mbps = (x) => (x === null || x === undefined ? "–" : ONE_DECIMAL.format(x / 1e6));
    rate.textContent = `${T.in} ${mbps(u.in_bps)} / ${T.out} ${mbps(u.out_bps)} Mbps ${T.of(cap)}`;
    fill.style.width = `${Math.min(100, share)}%`;
    fill.style.background = LOAD_COLOUR[loadLevel(u.utilisation)];
  }
  pct.dataset.utilisation = u && u.utilisation !== null ? String(u.utilisation) : "";
  drawChart(u);
  drawTalkers(v);
}

// "Pemakai terbesar": while the uplink is 80% full or more, the sites filling it (flows).
function drawTalkers(v) {
  const tile = $("talkers");
  tile.textContent = "";
  const list = v.talkers || [];
  tile.hidden = !list.length;
  if (!list.length) return;
  tile.appendChild(el("h3", {}, `${T.talkers} `));
  tile.firstChild.appendChild(el("span", { class: "note" }, T.talkersNote));
  const cap = v.uplink ? v.uplink.capacity_bps : 1;
  const mbps = (x) => ONE_DECIMAL.format(x / 1e6);
  for (const t of list) {
    const share = Math.min(100, ((t.in_bps + t.out_bps) / cap) * 100);
    const row = el("div", { class: "talker", "data-site": t.site });
    row.appendChild(el("span", { class: "who" }, t.title || t.site));
    const bar = el("span", { class: "bar" });
    const fill = el("span", { class: "fill" });
    fill.style.width = `${share.toFixed(1)}%`;  // CSSOM: the page's policy allows no inline style
    bar.appendChild(fill);
    row.appendChild(bar);
    row.appendChild(el("span", { class: "rate" }, `${mbps(t.in_bps)} / ${mbps(t.out_bps)} Mbps`));
    tile.appendChild(row);
  }
}

function drawChart(u) {
  const svg = $("chart");
  svg.textContent = "";
  const w = 680, h = 190, left = 56, right = 10, top = 10, bottom = 26;
  const end = now(), start = end - 86400;
  const capMbps = u ? u.capacity_bps / 1e6 : 40;
  // The five-minute averages, and the live rate as the last point.
  const points = u ? [...u.history] : [];
  if (u && u.in_bps !== null && u.out_bps !== null && u.in_bps !== undefined) {
    points.push([end, u.in_bps, u.out_bps]);
  }
  const peak = Math.max(capMbps, ...points.map((p) => Math.max(p[1], p[2]) / 1e6));
  const yMax = peak * 1.1;
  const x = (t) => left + ((t - start) / 86400) * (w - left - right);
  const y = (mbps) => top + (1 - mbps / yMax) * (h - top - bottom);
  for (const level of [0, capMbps / 2, capMbps]) {
    svg.appendChild(el("svg:line", { x1: left, x2: w - right, y1: y(level), y2: y(level),
      class: "axis" }));
    svg.appendChild(el("svg:text", { x: left - 6, y: y(level) + 5, "text-anchor": "end",
      class: "axis-text" }, `${Math.round(level)}`));
  }
  svg.appendChild(el("svg:line", { x1: left, x2: w - right, y1: y(capMbps * 0.8),
    y2: y(capMbps * 0.8), stroke: "#d29922", "stroke-dasharray": "6 6", "stroke-width": 1.5 }));
  // What the dashed line is: 80% of the contract, named at its right end.
  svg.appendChild(el("svg:text", { x: w - right - 4, y: y(capMbps * 0.8) - 5,
    "text-anchor": "end", fill: "#d29922", "font-size": 14, "data-label": "80" },
    `80% (${Math.round(capMbps * 0.8)} Mbps)`));
  svg.appendChild(el("svg:line", { x1: left, x2: w - right, y1: y(capMbps), y2: y(capMbps),
    stroke: "#f85149", "stroke-width": 2 }));
  svg.appendChild(el("svg:text", { x: left + 4, y: y(capMbps) - 5, fill: "#f85149",
    "font-size": 15 }, `${Math.round(capMbps)} Mbps`));
  for (let t = Math.ceil((start + WIB_S) / 21600) * 21600 - WIB_S; t <= end; t += 21600) {
    svg.appendChild(el("svg:text", { x: x(t), y: h - 6, "text-anchor": "middle",
      class: "axis-text" }, wibHour(t)));
  }
  // Which line is which: a legend above the chart's top right, the unit with it.
  let at = w - right;
  for (const [label, colour] of [[T.out, "#bc8cff"], [T.in, "#58a6ff"]]) {
    const text = el("svg:text", { x: at, y: top + 4, "text-anchor": "end", fill: colour,
      "font-size": 14, "data-legend": label }, `━ ${label}`);
    svg.appendChild(text);
    at -= 14 + 9 * (label.length + 2);
  }
  for (const [index, colour] of [[1, "#58a6ff"], [2, "#bc8cff"]]) {
    const inside = points.filter((p) => p[0] >= start - 300);
    if (!inside.length) continue;
    const path = inside.map((p) => `${x(Math.max(p[0], start)).toFixed(1)},${y(p[index] / 1e6).toFixed(1)}`);
    svg.appendChild(el("svg:polyline", { points: path.join(" "), fill: "none", stroke: colour,
      "stroke-width": 2.5, "data-series": index === 1 ? "in" : "out" }));
  }
}

function drawFooter(v) {
  const dr = $("dr");
  dr.textContent = "";
  dr.appendChild(el("b", {}, `${T.dr}: `));
  if (v.dr) {
    dr.appendChild(el("b", { class: `state-${v.dr.state}`, "data-state": v.dr.state },
                      T.drState[v.dr.state] || v.dr.state));
    dr.appendChild(el("div", {}, v.dr.reason[LANG] || ""));
  } else {
    dr.appendChild(el("span", {}, T.drUnknown));
  }
  const c = v.collector, col = $("collector");
  col.textContent = "";
  col.appendChild(el("b", {}, `${T.collector}: `));
  col.appendChild(el("span", { id: "polled", class: c.polling ? "ok-text" : "bad-text" },
    c.last_poll_at && c.polling ? T.polled(ago(now() - c.last_poll_at)) : T.notPolling));
  col.appendChild(el("div", { id: "store", class: c.store_ok ? "ok-text" : "bad-text",
    "data-ok": c.store_ok }, c.store_ok ? T.storeOk
      : T.storeDown(c.pending_events, lasted(c.store_behind_s))));
  drawServices(v);
  const counts = $("counts");
  counts.textContent = "";
  const total = Object.values(v.counts).reduce((a, b) => a + b, 0);
  counts.appendChild(el("b", {}, T.counts(total)));
  const parts = ["up", "down", "unreachable", "flapping", "maintenance", "unknown"]
    .filter((s) => v.counts[s]).map((s) => `${v.counts[s]} ${T.state[s]}`);
  counts.appendChild(el("div", {}, parts.join(" · ")));
}

// The "Layanan" tile: every e-government service as its vantage points judge it.
function drawServices(v) {
  const tile = $("services");
  tile.textContent = "";
  const list = v.services || [];
  tile.hidden = !list.length;
  if (!list.length) return;
  const up = list.filter((s) => s.state === "up").length;
  tile.appendChild(el("b", {}, `${T.services}: `));
  tile.appendChild(el("span", { class: up === list.length ? "ok-text" : "bad-text" },
                      T.servicesUp(up, list.length)));
  const chips = el("div", { class: "chips" });
  for (const s of list) {
    chips.appendChild(el("span", { class: `chip state-${s.state}`, "data-service": s.name,
      "data-state": s.state, title: s.title }, s.name));
  }
  tile.appendChild(chips);
}

function drawSummary(v) {
  const summary = $("summary");
  const n = v.problems.length;
  const u = v.uplink;
  const hot = u && u.utilisation !== null && u.utilisation >= 0.9;
  const parts = [n ? T.nProblems(n) : T.allOk];
  if (hot) parts.push(T.uplinkHot(Math.round(u.utilisation * 100), Math.round(u.capacity_bps / 1e6)));
  summary.className = n ? "bad" : hot ? "warn" : "ok";
  summary.textContent = parts.join(" · ");
  summary.dataset.problems = String(n);
}

function showBanner() {
  const banner = $("banner");
  const stale = Date.now() - lastMessage > 12000;
  if (stale && view) {
    banner.textContent = T.lost(wib(view.at));
    banner.className = "show";
  } else if (view && !view.collector.store_ok) {
    banner.textContent = T.storeDown(view.collector.pending_events, lasted(view.collector.store_behind_s));
    banner.className = "show warn";
  } else {
    banner.className = "";
  }
}

function tickClock() {
  $("clock").textContent = wib(now());
  // Alternating views: redraw when the half-minute turns (the data is the last pushed).
  if (view && viewMode === "alternate" && ($("map").dataset.view || "") !== showing(view)) {
    if (showing(view) === "schematic") drawSchematic(view); else drawMap(view);
  }
  for (const node of document.querySelectorAll("#problems .lasted")) {
    const since = Number(node.dataset.since);
    if (since) node.textContent = lasted(now() - since);
  }
  showBanner();
}

function render(v) {
  view = v;
  document.body.dataset.version = String((Number(document.body.dataset.version) || 0) + 1);
  if (showing(v) === "schematic") drawSchematic(v); else drawMap(v);
  drawProblems(v);
  drawUplink(v);
  drawFooter(v);
  drawSummary(v);
  showBanner();
}

function connect() {
  const source = new EventSource("/wall/events");
  source.addEventListener("view", (event) => {
    lastMessage = Date.now();
    const v = JSON.parse(event.data);
    clockSkew = v.at - Date.now() / 1000;
    render(v);
  });
  source.addEventListener("tick", (event) => {
    lastMessage = Date.now();
    const t = JSON.parse(event.data);
    clockSkew = t.at - Date.now() / 1000;
  });
  source.addEventListener("login", () => { window.location.assign("/wall"); });
}

document.addEventListener("DOMContentLoaded", () => {
  document.title = T.title;
  $("title").textContent = T.title;
  $("problems-title").textContent = T.problems;
  $("uplink-title").textContent = T.uplink;
  viewMode = chosenView();
  drawLegend();
  tickClock();
  setInterval(tickClock, 1000);
  connect();
});
