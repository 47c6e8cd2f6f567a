// MemeSnipe glass cockpit. Plain JS, no dependencies: a live feed (server-sent events), a few
// tables, and an SVG equity curve with its drawdown. Every value from the server is inserted
// with textContent, never as HTML.
"use strict";

const LAMPORTS = 1e9;
const $ = (id) => document.getElementById(id);
const state = { snap: null, seenFills: new Set(), lastMsg: 0, config: null };

// ---- formatting ---------------------------------------------------------------------------
function sol(lamports, digits = 3) {
  if (lamports === null || lamports === undefined) return "—";
  return (lamports / LAMPORTS).toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
function signed(lamports, digits = 3) {
  const s = sol(lamports, digits);
  return lamports > 0 ? "+" + s : s;
}
function pct(x, digits = 1) { return x === null || x === undefined ? "—" : (x * 100).toFixed(digits) + "%"; }
function fixed(x, digits = 2) { return x === null || x === undefined ? "—" : x.toFixed(digits); }
function price(p) {
  if (p === null || p === undefined) return "—";
  return p === 0 ? "0" : p.toPrecision(4);
}
function shortMint(m) { return m.length > 12 ? m.slice(0, 4) + "…" + m.slice(-4) : m; }
function time(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toISOString().slice(11, 19);
}
function dayTime(iso) {
  const d = new Date(iso);
  return isNaN(d) ? iso : d.toISOString().slice(5, 10) + " " + d.toISOString().slice(11, 19);
}
function tone(v) { return v > 0 ? "up" : v < 0 ? "down" : ""; }

// ---- DOM helpers --------------------------------------------------------------------------
function el(tag, attrs, ...children) {
  const n = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") n.className = v;
    else if (k === "text") n.textContent = v;
    else n.setAttribute(k, v);
  }
  for (const c of children) n.append(c);
  return n;
}
function td(text, cls, title) { return el("td", { class: cls, text: String(text), title }); }
function fillBody(table, rows, empty, cols) {
  const body = $(table).tBodies[0];
  body.replaceChildren(...(rows.length ? rows : [el("tr", { class: "empty-row" }, el("td", { colspan: cols, text: empty }))]));
}
function setText(id, text, cls) {
  const n = $(id);
  n.textContent = text;
  if (cls !== undefined) n.className = cls;
}

// ---- panels -------------------------------------------------------------------------------
function renderTotals(s) {
  const t = s.totals;
  setText("k-equity", sol(t.equity_lamports, 2));
  setText("k-capital", "capital " + sol(t.capital_lamports, 0) + " SOL");
  setText("k-net", signed(t.pnl_net_lamports), tone(t.pnl_net_lamports));
  setText("k-net-pct", t.capital_lamports ? pct(t.pnl_net_lamports / t.capital_lamports, 2) + " of capital" : "");
  setText("k-gross", signed(t.pnl_gross_lamports), tone(t.pnl_gross_lamports));
  setText("k-costs", sol(t.costs_lamports, 4));
  setText("k-dd", pct(t.drawdown, 2), t.drawdown > 0 ? "down" : "");
  setText("k-maxdd", "max " + pct(t.max_drawdown, 2));
  setText("k-trades", String(t.trades));
  setText("k-winrate", "win rate " + pct(t.win_rate));
  setText("k-open", String(t.open_positions));
  setText("k-unreal", "uPnL " + signed(t.unrealized_lamports));
}

function renderKill(k) {
  const st = !k.known ? "unknown" : k.active ? "on" : "off";
  const label = { unknown: "UNKNOWN", on: "PAUSED", off: "TRADING" }[st];
  const box = $("kill-state");
  box.dataset.state = st;
  box.textContent = label;
  const msg = $("control-msg");
  if (msg.dataset.pending && msg.dataset.pending === st) {
    controlMsg(st === "on" ? "kill confirmed on the killswitch topic" : "resume confirmed on the killswitch topic", true);
  }
  const badge = $("kill-badge");
  badge.dataset.state = st;
  badge.textContent = st === "on" ? "PAUSED" : st === "off" ? "TRADING" : "KILL SWITCH ?";
  $("kill-detail").textContent = !k.known ? "state unknown: the kill-switch topic has not been read yet"
    : !k.ts ? "never paused: no kill-switch message on the topic"
    : `${k.active ? "killed" : "resumed"} by ${k.by} at ${dayTime(k.ts)} — ${k.reason}${k.flatten ? " (flatten)" : ""}`;
}

function renderStrategies(s) {
  const weights = new Map(s.allocations.map((a) => [a.instance_id, a.weight]));
  const rows = s.strategies.map((r) =>
    el("tr", { "data-instance": r.instance_id },
      td(r.instance_id, "", r.family),
      td(signed(r.pnl_net_lamports), "num " + tone(r.pnl_net_lamports)),
      td(signed(r.pnl_gross_lamports), "num opt " + tone(r.pnl_gross_lamports)),
      td(sol(r.costs_lamports, 4), "num opt"),
      td(r.trades, "num"),
      td(pct(r.win_rate, 0), "num"),
      td(fixed(r.sharpe), "num " + tone(r.sharpe || 0)),
      td(weights.has(r.instance_id) ? pct(weights.get(r.instance_id)) : "—", "num opt")));
  fillBody("strategies", rows, "no strategy has traded yet", 8);
}

function renderAllocations(s) {
  const box = $("allocations");
  if (!s.allocations.length) { box.replaceChildren(el("p", { class: "dim small", text: "no allocations yet" })); return; }
  box.replaceChildren(...s.allocations.map((a) => {
    const meter = el("div", { class: "meter" }, el("i"));
    meter.firstChild.style.width = Math.max(0, Math.min(100, a.weight * 100)).toFixed(1) + "%";
    return el("div", { class: "alloc", "data-instance": a.instance_id, title: a.reason || "" },
      el("span", { class: "name", text: a.instance_id }),
      el("span", { text: `${pct(a.weight)} · ${sol(a.capital_lamports, 2)} SOL · S ${a.sharpe.toFixed(2)}` }),
      meter);
  }));
}

function renderPositions(s) {
  const rows = s.positions.map((p) => {
    const toStop = p.stop_price_sol && p.mark_price_sol ? (p.mark_price_sol - p.stop_price_sol) / p.mark_price_sol : null;
    return el("tr", { "data-mint": p.mint, "data-instance": p.instance_id },
      td(shortMint(p.mint), "", p.mint),
      td(p.instance_id),
      el("td", {}, el("span", { class: "tag " + p.side, text: p.side.toUpperCase() })),
      td(p.qty_tokens.toLocaleString("en-US"), "num opt"),
      td(price(p.entry_price_sol), "num opt"),
      td(price(p.mark_price_sol), "num " + tone(p.mark_price_sol - p.entry_price_sol)),
      td(price(p.stop_price_sol), "num stop"),
      td(toStop === null ? "—" : pct(Math.abs(toStop)), "num opt"),
      td(signed(p.unrealized_pnl_lamports), "num " + tone(p.unrealized_pnl_lamports)));
  });
  fillBody("positions", rows, "flat: no open positions", 9);
  const all = s.totals.open_positions;
  $("positions-note").textContent = all > s.positions.length ? `(${s.positions.length} closest to their stops of ${all})` : "";
}

function renderTrades(s) {
  const first = state.seenFills.size === 0;
  const rows = s.trades.map((t) => {
    const tr = el("tr", { "data-fill-id": t.fill_id, class: !first && !state.seenFills.has(t.fill_id) ? "fresh" : "" },
      td(time(t.ts), "", t.ts),
      td(t.instance_id),
      td(shortMint(t.mint), "opt", t.mint),
      el("td", {}, el("span", { class: "tag " + t.side, text: t.side.toUpperCase() })),
      td(sol(t.notional_lamports), "num"),
      td(price(t.price_sol), "num opt"),
      td(sol(t.cost_lamports, 5), "num opt"),
      td(t.pnl_lamports === null ? "" : signed(t.pnl_lamports), "num " + tone(t.pnl_lamports || 0)),
      td(t.reason || (t.intent === "entry" ? "entry" : ""), "reason"));
    return tr;
  });
  s.trades.forEach((t) => state.seenFills.add(t.fill_id));
  fillBody("trades", rows, "no trades yet", 9);
}

function renderCosts(s) {
  const rows = s.costs.map((c) =>
    el("tr", { "data-day": c.day },
      td(c.day),
      td(sol(c.swap_fee_lamports, 4), "num"),
      td(sol(c.priority_fee_lamports, 4), "num"),
      td(sol(c.jito_tip_lamports, 4), "num"),
      td(sol(c.drift_fee_lamports, 4), "num"),
      td(sol(c.funding_lamports, 4), "num " + tone(c.funding_lamports)),
      td(sol(c.total_lamports, 4), "num")));
  fillBody("costs", rows, "no costs recorded", 7);
}

function renderHealth(s) {
  const box = $("health");
  if (!s.health.length) { box.replaceChildren(el("p", { class: "dim small", text: "no pipeline data" })); return; }
  box.replaceChildren(...s.health.map((h) =>
    el("div", { class: "stage", "data-status": h.status, "data-name": h.name },
      el("b", { text: h.name }),
      el("span", { class: "dim", text: `${h.rows.toLocaleString("en-US")} rows · ${h.rate_per_s.toFixed(1)}/s` }),
      el("br"),
      el("span", { text: h.lag_s === null ? `last ${time(h.last_ts)}` : `lag ${h.lag_s.toFixed(1)} s · ${time(h.last_ts)}` }))));
}

function pair(a, b, digits) { return a === null ? "—" : `${fixed(a, digits)} / ${fixed(b, digits)}`; }

// Paper runs submit nothing: the note says so and the table stays empty (no zeros as facts).
function renderLanding(s) {
  const l = s.landing;
  const note = $("landing-note");
  note.hidden = l.available;
  note.textContent = l.available ? "" : l.note;
  const rows = !l.available ? [] : [l.total, ...l.venues].map((r) =>
    el("tr", { "data-venue": r.venue, class: r.venue === "all" ? "total" : undefined },
      td(r.venue),
      td(r.landed, "num"),
      td(r.failed, "num" + (r.failed ? " down" : "")),
      td(r.expired, "num" + (r.expired ? " down" : "")),
      td(r.pending, "num opt"),
      td(pct(r.landing_rate), "num rate"),
      td(pair(r.time_to_land_p50_s, r.time_to_land_p90_s, 2), "num ttl"),
      td(pair(r.slippage_p50_bps, r.slippage_p90_bps, 1), "num slip", `${r.slippage_fills} live fills; positive = worse than planned`)));
  fillBody("landing", rows, l.available ? "no submissions" : "—", 8);
}

function renderPerpVenues(s) {
  const box = $("perp-venues");
  if (!s.perp_venues.length) {
    box.replaceChildren(el("p", { class: "dim small", "data-state": "unknown", text: "UNKNOWN: no perp venue reading stored (reconciler not running)" }));
    return;
  }
  const status = { live: "ok", paused: "down", unknown: "stale" };
  box.replaceChildren(...s.perp_venues.map((v) =>
    el("div", { class: "stage venue", "data-status": status[v.state], "data-state": v.state, "data-venue": v.venue, title: v.account },
      el("b", { text: `${v.venue} ${v.state.toUpperCase()}` }),
      el("span", { class: "reason", text: v.reason }),
      el("br"),
      el("span", { class: "dim", text: `read ${dayTime(v.ts)} UTC` }))));
}

function renderErrors(s) {
  const box = $("errors");
  box.hidden = !s.errors.length;
  box.textContent = s.errors.join("\n");
}

// ---- equity chart -------------------------------------------------------------------------
const SVGNS = "http://www.w3.org/2000/svg";
function svg(tag, attrs) {
  const n = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v);
  return n;
}

function renderChart(s) {
  const host = $("equity-svg");
  const W = host.clientWidth || 600, H = host.clientHeight || 300;
  host.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const pts = s.equity;
  const kids = [];
  const defs = svg("defs", {});
  const grad = svg("linearGradient", { id: "eqgrad", x1: 0, y1: 0, x2: 0, y2: 1 });
  grad.append(svg("stop", { offset: "0%", "stop-color": "#20d39a", "stop-opacity": ".28" }),
    svg("stop", { offset: "100%", "stop-color": "#20d39a", "stop-opacity": "0" }));
  defs.append(grad);
  kids.push(defs);
  if (pts.length < 2) {
    const t = svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "empty" });
    t.textContent = "equity curve appears after the first marks";
    host.replaceChildren(...kids, t);
    return;
  }
  const L = 8, R = 62, T = 10, B = 20, gap = 8;
  const eqH = (H - T - B - gap) * 0.72, ddH = (H - T - B - gap) - eqH;
  const t0 = pts[0][0], t1 = pts[pts.length - 1][0];
  let lo = Infinity, hi = -Infinity, maxDD = 0;
  for (const [, e, d] of pts) { lo = Math.min(lo, e); hi = Math.max(hi, e); maxDD = Math.max(maxDD, d); }
  const cap = s.totals.capital_lamports;
  if (cap) { lo = Math.min(lo, cap); hi = Math.max(hi, cap); }
  const pad = (hi - lo) * 0.08 || Math.abs(hi) * 0.01 || 1;
  lo -= pad; hi += pad;
  const ddMax = Math.max(maxDD * 1.15, 0.01);
  const x = (t) => L + ((t - t0) / Math.max(1, t1 - t0)) * (W - L - R);
  const y = (e) => T + (1 - (e - lo) / (hi - lo)) * eqH;
  const ddTop = T + eqH + gap;
  const yd = (d) => ddTop + (d / ddMax) * ddH;

  const lastY = y(pts[pts.length - 1][1]);
  for (let i = 0; i <= 4; i++) {
    const v = lo + ((hi - lo) * i) / 4, yy = y(v);
    kids.push(svg("line", { x1: L, x2: W - R, y1: yy, y2: yy, class: "grid" }));
    if (Math.abs(yy - lastY) < 12) continue;  // the current-equity label sits there
    const lab = svg("text", { x: W - R + 6, y: yy + 3, class: "axis" });
    lab.textContent = sol(v, 2);
    kids.push(lab);
  }
  if (cap) kids.push(svg("line", { x1: L, x2: W - R, y1: y(cap), y2: y(cap), class: "base" }));
  const line = pts.map((p, i) => `${i ? "L" : "M"}${x(p[0]).toFixed(1)},${y(p[1]).toFixed(1)}`).join("");
  kids.push(svg("path", { d: `${line}L${x(t1).toFixed(1)},${(T + eqH).toFixed(1)}L${x(t0).toFixed(1)},${(T + eqH).toFixed(1)}Z`, class: "eq-fill" }));
  kids.push(svg("path", { d: line, class: "eq" }));
  // drawdown: an "underwater" band below the curve, deeper = redder
  kids.push(svg("line", { x1: L, x2: W - R, y1: ddTop, y2: ddTop, class: "grid" }));
  const dd = pts.map((p) => `L${x(p[0]).toFixed(1)},${yd(p[2]).toFixed(1)}`).join("");
  kids.push(svg("path", { d: `M${x(t0).toFixed(1)},${ddTop}${dd}L${x(t1).toFixed(1)},${ddTop}Z`, class: "dd" }));
  const ddLab = svg("text", { x: W - R + 6, y: ddTop + ddH, class: "axis" });
  ddLab.textContent = "-" + pct(ddMax, 1);
  kids.push(ddLab);
  const ddName = svg("text", { x: W - R + 6, y: ddTop + 10, class: "axis" });
  ddName.textContent = "DD";
  kids.push(ddName);
  const span = t1 - t0, ticks = W < 500 ? 3 : 6;
  for (let i = 0; i < ticks; i++) {
    const tt = t0 + (span * i) / (ticks - 1);
    const iso = new Date(tt).toISOString();
    const anchor = i === 0 ? "start" : i === ticks - 1 ? "end" : "middle";
    const lab = svg("text", { x: x(tt), y: H - 4, "text-anchor": anchor, class: "axis" });
    lab.textContent = span > 36e5 * 36 ? iso.slice(5, 10) + " " + iso.slice(11, 16) : iso.slice(11, 16);
    kids.push(lab);
  }
  const last = pts[pts.length - 1];
  kids.push(svg("circle", { cx: x(last[0]), cy: y(last[1]), r: 3.5, class: "last" }));
  const tag = svg("text", { x: W - R + 6, y: Math.min(T + eqH, Math.max(T + 8, lastY + 3)), class: "axis last-label" });
  tag.textContent = sol(last[1], 2);
  kids.push(tag);
  const cross = svg("line", { x1: 0, x2: 0, y1: T, y2: H - B, class: "cross", visibility: "hidden" });
  kids.push(cross);
  host.replaceChildren(...kids);
  host.onpointermove = (ev) => {
    const r = host.getBoundingClientRect();
    const px = ((ev.clientX - r.left) / r.width) * W;
    const t = t0 + ((px - L) / (W - L - R)) * (t1 - t0);
    let best = pts[0];
    for (const p of pts) if (Math.abs(p[0] - t) < Math.abs(best[0] - t)) best = p;
    cross.setAttribute("x1", x(best[0])); cross.setAttribute("x2", x(best[0]));
    cross.setAttribute("visibility", "visible");
    const tip = $("chart-tip");
    tip.hidden = false;
    tip.textContent = `${dayTime(new Date(best[0]).toISOString())}  ${sol(best[1], 3)} SOL  DD ${pct(best[2], 2)}`;
  };
  host.onpointerleave = () => { cross.setAttribute("visibility", "hidden"); $("chart-tip").hidden = true; };
}

// ---- the feed -----------------------------------------------------------------------------
function render(s) {
  state.snap = s;
  const mode = $("mode");
  mode.textContent = s.mode.toUpperCase();
  mode.dataset.mode = s.mode;
  renderErrors(s);
  renderTotals(s);
  renderKill(s.kill);
  renderStrategies(s);
  renderAllocations(s);
  renderPositions(s);
  renderTrades(s);
  renderCosts(s);
  renderHealth(s);
  renderLanding(s);
  renderPerpVenues(s);
  renderChart(s);
  $("as-of").textContent = "data as of " + (s.as_of ? dayTime(s.as_of) + " UTC" : "—");
  document.body.dataset.ready = "1";
}

function setConn(st) {
  const c = $("conn");
  c.dataset.state = st;
  c.querySelector("b").textContent = { live: "LIVE", stale: "STALE", offline: "OFFLINE", connecting: "CONNECTING" }[st];
}

function connect() {
  const es = new EventSource("events");
  es.addEventListener("snapshot", (ev) => { state.lastMsg = Date.now(); setConn("live"); render(JSON.parse(ev.data)); });
  es.addEventListener("ping", () => { state.lastMsg = Date.now(); setConn("live"); });
  es.onerror = () => setConn(es.readyState === EventSource.CLOSED ? "offline" : "connecting");
  setInterval(() => {
    if (state.lastMsg && Date.now() - state.lastMsg > 40000) setConn("stale");
  }, 5000);
}

// ---- controls -----------------------------------------------------------------------------
function controlMsg(text, ok) {
  const m = $("control-msg");
  m.textContent = text;
  m.className = "small " + (ok ? "ok" : "err");
  delete m.dataset.pending;
}

async function sendSwitch(path, body) {
  const token = $("token").value.trim();
  if (token) sessionStorage.setItem("memesnipe.token", token);
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = "Bearer " + token;
  const reason = $("reason").value.trim();
  if (reason) body.reason = reason;
  const buttons = [$("kill-btn"), $("resume-btn")];
  buttons.forEach((b) => (b.disabled = true));
  try {
    const res = await fetch(path, { method: "POST", headers, body: JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) {
      let msg = text;
      try { msg = JSON.parse(text).error || text; } catch (_) { /* plain text */ }
      controlMsg(`refused (${res.status}): ${msg}`, false);
      return;
    }
    const kill = path.endsWith("kill");
    controlMsg(kill ? "kill published — waiting for the topic to confirm" : "resume published — waiting for the topic", true);
    $("control-msg").dataset.pending = kill ? "on" : "off";
    if (state.snap) renderKill(state.snap.kill);  // the feed may have confirmed it already
  } catch (err) {
    controlMsg("could not reach the cockpit: " + err, false);
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}

let resumeArmed = null;
function setupControls() {
  const saved = sessionStorage.getItem("memesnipe.token");
  if (saved) $("token").value = saved;
  $("kill-btn").addEventListener("click", () => sendSwitch("api/kill", { flatten: $("flatten").checked }));
  $("resume-btn").addEventListener("click", () => {
    const btn = $("resume-btn");
    if (!resumeArmed) {
      btn.textContent = "CONFIRM RESUME";
      btn.classList.add("confirm");
      resumeArmed = setTimeout(() => { btn.textContent = "RESUME"; btn.classList.remove("confirm"); resumeArmed = null; }, 5000);
      return;
    }
    clearTimeout(resumeArmed);
    resumeArmed = null;
    btn.textContent = "RESUME";
    btn.classList.remove("confirm");
    sendSwitch("api/resume", { confirm: "RESUME" });
  });
  fetch("api/config").then((r) => r.json()).then((cfg) => {
    state.config = cfg;
    if (!cfg.controls_enabled) {
      [$("kill-btn"), $("resume-btn")].forEach((b) => (b.disabled = true));
      controlMsg("controls disabled: no operator token configured (live mode)", false);
    } else if (!cfg.token_required) {
      $("token").placeholder = "no token configured (localhost only)";
    }
  }).catch(() => { /* the feed shows the connection state */ });
}

let resizeTimer = null;
window.addEventListener("resize", () => {
  clearTimeout(resizeTimer);
  resizeTimer = setTimeout(() => state.snap && renderChart(state.snap), 150);
});

document.addEventListener("DOMContentLoaded", () => {
  setupControls();
  connect();
});
