// QuantPro dashboard: the signals table, the run block, the detail with two charts, live updates.
// Vanilla JS, no build step. Rows are loaded once per feed from /api/signals and filtered here with the
// same rules as the server (quantpro/web/rows.py); the table renders in pages of PAGE rows, more as the
// list scrolls, so thousands of signals stay responsive.
"use strict";

const PAGE = 100;
const state = {
  rows: [],          // every row of the feed shown
  view: [],          // the rows after filters and sort
  shown: 0,          // how many of view are in the DOM
  sort: { field: "score", desc: true },
  selected: null,    // {exchange, symbol, strategy}
  feed: null,        // the feed state from the server
  charts: [],
  detailSeq: 0,
};
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));

// ---------------------------------------------------------------- formatting
function price(v) {
  if (v === null || v === undefined || !isFinite(v)) return "—";
  const a = Math.abs(v);
  if (a === 0) return "0";
  if (a >= 1000) return v.toFixed(2);
  if (a >= 1) return v.toPrecision(6).replace(/\.?0+$/, "");
  return v.toPrecision(6);
}
const num = (v, d = 2) => (v === null || v === undefined || !isFinite(v) ? "—" : Number(v).toFixed(d));
function duration(s) {
  if (s === null || s === undefined || !isFinite(s)) return "—";
  s = Math.max(0, Math.round(s));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600)}h`;
}
const utc = (ms) => (ms ? new Date(ms).toISOString().replace("T", " ").slice(0, 16) + " UTC" : "—");
const ageOf = (row) => (row.fired_at ? (Date.now() - row.fired_at) / 1000 : null);

// ---------------------------------------------------------------- data
async function getJSON(url) {
  const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
  const body = await response.json().catch(() => ({}));
  return { ok: response.ok, status: response.status, body };
}

async function loadFeed() {
  const { ok, body } = await getJSON("/api/signals");
  if (!ok) {
    state.feed = body.feed || null;
    showProblem((body.feed && body.feed.problem) || body.detail || "The feed cannot be read.");
    state.rows = [];
    renderRun(null);
    applyFilters();
    $("updated").textContent = "no feed";
    return;
  }
  state.feed = body.feed;
  state.rows = body.signals;
  showProblem(body.feed.problem ? `${body.feed.problem} — showing the last good feed, written ${utc(body.feed.last_updated)}.` : null);
  $("updated").dataset.lastUpdated = body.feed.last_updated;
  $("updated").dataset.total = body.total;
  showFeedAge();
  loadWatch();
  renderRun(body.run);
  fillOptions("f-exchange", state.rows.map((r) => r.exchange));
  fillOptions("f-strategy", state.rows.map((r) => r.strategy));
  applyFilters();
  if (state.selected) openDetail(state.selected, { keepScroll: true });
}

// The feed's own age: a scanner that stopped is the first thing a trader must see.
const OLD_FEED_S = 30 * 60;
function showFeedAge() {
  const el = $("updated");
  const last = Number(el.dataset.lastUpdated);
  if (!last) return;
  const age = (Date.now() - last) / 1000;
  el.innerHTML = `feed of ${esc(utc(last))} (${esc(duration(age))} ago) · ${esc(el.dataset.total)} signals`
    + (age > OLD_FEED_S ? ` <span class="badge stale" data-testid="feed-old">no new feed for ${esc(duration(age))}</span>` : "");
}

async function loadWatch() {
  const { ok, body } = await getJSON("/api/status");
  const el = $("watch");
  const watch = ok && body.watch && typeof body.watch === "object" ? body.watch : null;
  el.hidden = !watch;
  if (!watch) return;
  const next = watch.next_cycle_at ?? watch.next_at ?? watch.next_cycle ?? null;
  const parts = [`watch${watch.pid ? ` pid ${esc(watch.pid)}` : ""}`];
  if (watch.cycle !== undefined) parts.push(`cycle ${esc(watch.cycle)}`);
  if (typeof next === "number") parts.push(`next ${esc(utc(next > 1e11 ? next : next * 1000))}`);
  else if (typeof next === "string") parts.push(`next ${esc(next)}`);
  el.textContent = parts.join(" · ");
}

function showProblem(text) {
  const box = $("feed-problem");
  box.hidden = !text;
  box.textContent = text || "";
}

function fillOptions(id, values) {
  const select = $(id);
  const current = select.value || select.dataset.wanted || "";
  delete select.dataset.wanted;
  const wanted = [...new Set(values)].sort();
  const have = [...select.options].slice(1).map((o) => o.value);
  if (have.join("|") !== wanted.join("|")) {
    select.length = 1;
    for (const value of wanted) select.add(new Option(value, value));
  }
  select.value = wanted.includes(current) ? current : "";
}

// ---------------------------------------------------------------- the run block
function renderRun(run) {
  const box = $("run");
  if (!run) {
    box.dataset.status = "none";
    box.innerHTML = `<span class="item">Run: <span class="badge none">no feed</span></span>`;
    return;
  }
  box.dataset.status = run.status;
  const changes = run.changes || {};
  const skipped = run.skipped_files || [];
  const item = (label, value, testid) => `<span class="item"${testid ? ` data-testid="${testid}"` : ""}>${label} <b>${value}</b></span>`;
  const oi = run.oi_status || {};
  box.innerHTML = [
    `<span class="item">Run <span class="badge ${esc(run.status)}" data-testid="run-status-value">${esc(run.status)}</span></span>`,
    item("markets", `${run.markets}${run.stale_markets ? ` (${run.stale_markets} stale)` : ""}`, "run-markets"),
    item("degraded", run.degraded_markets),
    item("quota", `${run.units_spent} units (min ${run.units_minimum}) · ${run.requests} req · ${run.http_429} × 429 · ${run.retries} retries`, "run-quota"),
    item("OI", `${oi.resolved ?? 0} own · ${oi.aggregated ?? 0} proxy · ${oi.neutral ?? 0} none`),
    item("took", duration(run.duration_s)),
    item("changes", `new ${changes.new ?? 0} · gone ${changes.gone ?? 0} · flipped ${changes.flipped ?? 0} · score ↑ ${changes.score_up ?? 0} ↓ ${changes.score_down ?? 0}`, "run-changes"),
    skipped.length
      ? `<details data-testid="run-skipped"><summary>${skipped.length} skipped file${skipped.length === 1 ? "" : "s"}</summary><ul>${skipped.map((s) => `<li><code>${esc(s.file)}</code>: ${esc(s.reason)}</li>`).join("")}</ul></details>`
      : item("skipped files", 0, "run-skipped"),
  ].join("");
}

// ---------------------------------------------------------------- filters and sort (mirrors rows.py)
// The address keeps them (#exchange=BYBIT&sort=rr, the API's names), so a view can be bookmarked.
const CONTROLS = { exchange: "f-exchange", strategy: "f-strategy", action: "f-action", min_score: "f-min-score", q: "f-search" };

function readHash() {
  const params = new URLSearchParams(location.hash.slice(1));
  for (const [key, id] of Object.entries(CONTROLS)) {
    if (!params.has(key)) continue;
    const el = $(id);
    if (el.tagName === "SELECT" && id !== "f-action") el.dataset.wanted = params.get(key);
    else el.value = params.get(key);
  }
  const sort = params.get("sort") || "";
  const field = sort.replace(/^-/, "");
  if (["score", "rr", "age"].includes(field)) state.sort = { field, desc: !sort.startsWith("-") };
}

function writeHash() {
  const params = new URLSearchParams();
  for (const [key, id] of Object.entries(CONTROLS)) if ($(id).value) params.set(key, $(id).value);
  const { field, desc } = state.sort;
  if (field !== "score" || !desc) params.set("sort", (desc ? "" : "-") + field);
  const text = params.toString();
  history.replaceState(null, "", text ? `#${text}` : location.pathname + location.search);
}

function filters() {
  const split = (v) => v.split(",").map((s) => s.trim().toUpperCase()).filter(Boolean);
  const min = $("f-min-score").value.trim();
  return {
    exchange: split($("f-exchange").value),
    strategy: split($("f-strategy").value),
    action: split($("f-action").value),
    minScore: min === "" || !isFinite(Number(min)) ? null : Number(min),
    q: $("f-search").value.trim().toUpperCase(),
  };
}

function keeps(f, r) {
  if (f.exchange.length && !f.exchange.includes(r.exchange.toUpperCase())) return false;
  if (f.strategy.length && !f.strategy.includes(r.strategy.toUpperCase())) return false;
  if (f.action.length && !f.action.includes(r.action.toUpperCase())) return false;
  if (f.minScore !== null && r.score < f.minScore) return false;
  if (f.q && ![r.symbol, r.display_symbol, r.canonical_symbol].some((n) => n.toUpperCase().includes(f.q))) return false;
  return true;
}

function sortValue(row, field) {
  if (field === "age") return row.fired_at; // "desc" = youngest first = the latest fired
  return row[field];
}

function applyFilters() {
  const f = filters();
  const { field, desc } = state.sort;
  const kept = [];
  state.rows.forEach((r, i) => { if (keeps(f, r)) kept.push([i, r]); });
  // score and rr: best first when desc; age: youngest first when desc. Missing values always last.
  kept.sort(([ia, a], [ib, b]) => {
    const va = sortValue(a, field), vb = sortValue(b, field);
    if (va === null || va === undefined) return vb === null || vb === undefined ? ia - ib : 1;
    if (vb === null || vb === undefined) return -1;
    if (va !== vb) return desc ? vb - va : va - vb;
    return ia - ib;
  });
  state.view = kept.map(([, r]) => r);
  document.querySelectorAll("th.sortable").forEach((th) => {
    th.classList.toggle("sorted", th.dataset.sort === field);
    th.classList.toggle("asc", th.dataset.sort === field && !desc);
  });
  $("rows").textContent = "";
  state.shown = 0;
  renderMore();
  $("count").textContent = `${state.view.length} of ${state.rows.length} signals`;
  writeHash();
  const empty = $("empty");
  empty.hidden = state.view.length > 0;
  empty.textContent = state.rows.length ? "No signal matches these filters." : "The feed has no signals.";
}

function rowHTML(r) {
  const selected = state.selected && state.selected.exchange === r.exchange && state.selected.symbol === r.symbol && state.selected.strategy === r.strategy;
  const badges = [];
  if (r.stale) badges.push(`<span class="badge stale" data-testid="badge-stale" title="The candles are stale">stale</span>`);
  if (r.htf_resampled) badges.push(`<span class="badge warn" title="HTF resampled from the LTF">resampled</span>`);
  const src = r.oi_source || "none";
  badges.push(`<span class="badge ${esc(src)}" data-testid="badge-provenance" title="Open interest source and age">${esc(src)} ${r.oi_age_s === null ? "" : duration(r.oi_age_s)}</span>`);
  const t = r.track_record;
  const track = t && t.trades
    ? `<span class="badge" data-testid="badge-track" title="Backtest of this strategy and score bucket">${t.trades} tr · ${t.win_rate === null ? "—" : Math.round(t.win_rate * 100) + "%"} · ${t.expectancy_r === null ? "—" : (t.expectancy_r >= 0 ? "+" : "") + t.expectancy_r.toFixed(2) + "R"}</span>`
    : `<span class="muted" data-testid="badge-track">—</span>`;
  const age = ageOf(r);
  return `<tr tabindex="0" data-testid="signal-row" data-exchange="${esc(r.exchange)}" data-symbol="${esc(r.symbol)}" data-strategy="${esc(r.strategy)}" data-action="${esc(r.action)}" data-score="${r.score}" data-rr="${r.rr ?? ""}" data-fired-at="${r.fired_at ?? ""}"${selected ? ' class="selected"' : ""}>`
    + `<td class="num">${num(r.score, 1)}</td><td>${esc(r.strategy)}</td><td>${esc(r.exchange)}</td><td>${esc(r.display_symbol)}</td>`
    + `<td class="opt">${esc(r.timeframe)}/${esc(r.htf)}</td><td class="${esc(r.action)}" title="${esc(r.reason || "")}">${esc(r.action)}</td>`
    + `<td class="num opt">${price(r.price)}</td><td class="num opt">${price(r.entry)}</td><td class="num">${num(r.stop_pct)}</td><td class="num">${num(r.target_pct)}</td>`
    + `<td class="num">${num(r.rr)}</td><td class="num age" title="${r.fired_at ? utc(r.fired_at) : ""}">${duration(age)}</td>`
    + `<td>${badges.join("")}</td><td>${track}</td></tr>`;
}

function renderMore() {
  const next = state.view.slice(state.shown, state.shown + PAGE);
  if (next.length) $("rows").insertAdjacentHTML("beforeend", next.map(rowHTML).join(""));
  state.shown += next.length;
  const left = state.view.length - state.shown;
  $("more").textContent = left > 0 ? `${left} more — scroll to see them` : "";
}

// ---------------------------------------------------------------- the detail
function destroyCharts() {
  for (const chart of state.charts) chart.remove();
  state.charts = [];
}

function chartOptions(el) {
  return {
    autoSize: true,
    layout: { background: { type: "solid", color: "#161c23" }, textColor: "#d8dee6", fontSize: 11 },
    grid: { vertLines: { color: "#1f2730" }, horzLines: { color: "#1f2730" } },
    timeScale: { timeVisible: true, secondsVisible: false, borderColor: "#26303b" },
    rightPriceScale: { borderColor: "#26303b" },
    crosshair: { mode: 0 },
  };
}

function priceFormat(values) {
  const finite = values.filter((v) => v !== null && isFinite(v) && v !== 0).map(Math.abs);
  const low = finite.length ? Math.min(...finite) : 1;
  const precision = Math.min(10, Math.max(2, 5 - Math.floor(Math.log10(low))));
  return { type: "price", precision, minMove: Math.pow(10, -precision) };
}

function drawPrice(el, market, signal) {
  const LC = window.LightweightCharts;
  const chart = LC.createChart(el, chartOptions(el));
  state.charts.push(chart);
  const candles = market.ltf.candles;
  const format = priceFormat(candles.map((c) => c.close));
  const setup = signal && signal.setup;
  const levels = setup ? [setup.entry, setup.sl, setup.tp].filter((v) => v !== null && isFinite(v)) : [];
  const series = chart.addSeries(LC.CandlestickSeries, {
    upColor: "#26a69a", downColor: "#ef5350", borderVisible: false, wickUpColor: "#26a69a", wickDownColor: "#ef5350", priceFormat: format,
    // keep the stop and the target on screen even when they lie beyond the candles' range
    autoscaleInfoProvider: (original) => {
      const result = original();
      if (result && result.priceRange && levels.length) {
        result.priceRange.minValue = Math.min(result.priceRange.minValue, ...levels);
        result.priceRange.maxValue = Math.max(result.priceRange.maxValue, ...levels);
      }
      return result;
    },
  });
  series.setData(candles);
  for (const [key, color] of [["ema50", "#f0b429"], ["ema200", "#4c9aff"]]) {
    const line = chart.addSeries(LC.LineSeries, { color, lineWidth: 1, priceLineVisible: false, lastValueVisible: false, priceFormat: format, title: key.toUpperCase() });
    line.setData(market.ltf[key]);
  }
  if (setup) {
    series.createPriceLine({ price: setup.entry, color: "#d8dee6", lineWidth: 1, lineStyle: 0, axisLabelVisible: true, title: "entry" });
    series.createPriceLine({ price: setup.sl, color: "#ef5350", lineWidth: 2, lineStyle: 2, axisLabelVisible: true, title: "stop" });
    series.createPriceLine({ price: setup.tp, color: "#26a69a", lineWidth: 2, lineStyle: 2, axisLabelVisible: true, title: "target" });
  }
  chart.timeScale().fitContent();
}

function drawRSI(el, market, geometry) {
  const LC = window.LightweightCharts;
  const chart = LC.createChart(el, chartOptions(el));
  state.charts.push(chart);
  const rsi = chart.addSeries(LC.LineSeries, { color: "#b39ddb", lineWidth: 2, priceLineVisible: false, title: "RSI 14" });
  rsi.setData(market.htf.rsi);
  rsi.createPriceLine({ price: 70, color: "#8792a0", lineWidth: 1, lineStyle: 1, axisLabelVisible: false, title: "70" });
  rsi.createPriceLine({ price: 50, color: "#4b5563", lineWidth: 1, lineStyle: 1, axisLabelVisible: false, title: "" });
  rsi.createPriceLine({ price: 30, color: "#8792a0", lineWidth: 1, lineStyle: 1, axisLabelVisible: false, title: "30" });
  const markers = [];
  for (const line of (geometry && geometry.lines) || []) {
    const color = line.kind === "resistance" ? "#ef5350" : "#26a69a";
    const series = chart.addSeries(LC.LineSeries, { color, lineWidth: 2, lineStyle: 0, priceLineVisible: false, lastValueVisible: false, crosshairMarkerVisible: false });
    const points = line.points.filter((p, i, all) => i === 0 || p.time > all[i - 1].time).map((p) => ({ time: p.time, value: p.value }));
    series.setData(points);
    for (const p of line.pivots) markers.push({ time: p.time, position: line.kind === "resistance" ? "aboveBar" : "belowBar", color, shape: "circle", text: "" });
  }
  if (geometry && geometry.break) markers.push({ time: geometry.break.time, position: "inBar", color: "#f0b429", shape: "square", text: "break" });
  markers.sort((a, b) => a.time - b.time);
  if (markers.length && LC.createSeriesMarkers) LC.createSeriesMarkers(rsi, markers);
  chart.timeScale().fitContent();
}

function level(id, value) {
  const el = $(id);
  el.textContent = price(value);
  el.dataset.value = value === null || value === undefined ? "" : String(value);
}

function kvRows(entries) {
  return entries.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${v}</td></tr>`).join("");
}

function derivativeRows(signal) {
  const ext = signal.external || {};
  const prov = ext.provenance || {};
  const oi = signal.oi_metadata || {};
  const show = (name, value, p) => {
    p = p || {};
    const where = p.source === "venue" ? `venue ${p.venue || ""}` : p.source === "coinalyze" ? `coinalyze ${p.coinalyze_symbol || ""}` : p.source || "none";
    const why = p.reason ? ` · ${esc(p.reason)}` : "";
    return [name, `${value} <span class="badge ${esc(p.source || "none")}">${esc(where)}</span> <span class="muted">${p.age_s === null || p.age_s === undefined ? "" : duration(p.age_s) + " old"}${why}</span>`];
  };
  const liq = ext.liquidations;
  return kvRows([
    show("Open interest", `${oi.value === null || oi.value === undefined ? "—" : Number(oi.value).toLocaleString()} · z ${num(oi.z_score)}${oi.z_score_valid ? "" : " (not valid)"}`, prov.open_interest),
    show("Funding", `${ext.funding_rate === null || ext.funding_rate === undefined ? "—" : ext.funding_rate.toFixed(4) + " %"}${ext.funding_rate_8h === null || ext.funding_rate_8h === undefined ? "" : ` (8 h ${ext.funding_rate_8h.toFixed(4)} %)`}`, prov.funding_rate),
    show("Long/short", num(ext.ls_ratio), prov.ls_ratio),
    show("Liquidations", liq ? `L ${Math.round(liq.longs ?? 0).toLocaleString()} · S ${Math.round(liq.shorts ?? 0).toLocaleString()}` : "—", prov.liquidations),
  ]);
}

async function openDetail(key, opts = {}) {
  state.selected = key;
  document.querySelectorAll("tr.selected").forEach((tr) => tr.classList.remove("selected"));
  const tr = [...document.querySelectorAll('tr[data-testid="signal-row"]')].find((t) => t.dataset.exchange === key.exchange && t.dataset.symbol === key.symbol && t.dataset.strategy === key.strategy);
  if (tr) tr.classList.add("selected");
  const seq = ++state.detailSeq;
  const { ok, body } = await getJSON(`/api/markets/${encodeURIComponent(key.exchange)}/${encodeURIComponent(key.symbol)}`);
  if (seq !== state.detailSeq) return;
  const detail = $("detail");
  detail.hidden = false;
  document.body.classList.add("detail-open");
  detail.dataset.exchange = key.exchange;
  detail.dataset.symbol = key.symbol;
  detail.dataset.strategy = key.strategy;
  destroyCharts();
  if (!ok) {
    $("d-title").textContent = `${key.exchange} ${key.symbol}: ${body.detail || "not available"}`;
    detail.dataset.ready = "error";
    return;
  }
  const entry = body.signals.find((s) => (s.signal.strategy_name || s.signal.strategy) === key.strategy) || body.signals[0];
  const signal = entry ? entry.signal : null;
  const setup = signal && signal.setup;
  $("d-title").innerHTML = signal
    ? `${esc(body.exchange)} ${esc(signal.display_symbol || body.symbol)} · ${esc(signal.strategy_name)} · <span class="${esc(signal.action)}">${esc(signal.action)}</span> · score ${num(signal.score, 1)}${body.stale ? ' <span class="badge stale">stale candles</span>' : ""}`
    : `${esc(body.exchange)} ${esc(body.symbol)}`;
  level("d-entry", setup ? setup.entry : null);
  level("d-stop", setup ? setup.sl : null);
  level("d-target", setup ? setup.tp : null);
  $("d-rr").textContent = setup ? `${num(setup.rr)} (net ${num(setup.rr_net)})` : "—";
  $("d-reason").textContent = signal && signal.details && signal.details.reason ? `WAIT: ${signal.details.reason}` : "";
  $("d-ltf-title").textContent = `Price · ${body.ltf.timeframe} · EMA 50 / 200`;
  $("d-htf-title").textContent = `RSI 14 · ${body.htf.timeframe}${body.htf_resampled ? " (resampled)" : ""}`;
  const geometry = entry ? entry.geometry : null;
  const lines = (geometry && geometry.lines) || [];
  $("d-geometry").textContent = lines.length
    ? lines.map((l) => `${l.kind} line, ${l.touches} touches, pivots ${l.pivots.map((p) => p.value.toFixed(1)).join(" / ")}`).join("; ") + (geometry.break ? `; break at ${utc(geometry.break.time * 1000)} (RSI ${geometry.break.value.toFixed(1)})` : "")
    : "No RSI trendline for this strategy.";
  const composition = (signal && signal.observability && signal.observability.score_composition) || {};
  $("d-score").innerHTML = kvRows(Object.entries(composition).map(([k, v]) => [k.replace(/_/g, " "), num(v, 1)]).concat([["total", `<b>${num(signal ? signal.score : null, 1)}</b>`]]));
  $("d-deriv").innerHTML = signal ? derivativeRows(signal) : "";
  const t = signal && signal.track_record;
  $("d-track").textContent = t && t.trades
    ? `${t.trades} trades in the backtest for this strategy and score bucket: win ${t.win_rate === null ? "—" : Math.round(t.win_rate * 100) + " %"}, expectancy ${num(t.expectancy_r)} R${t.ci95 ? ` (95 % ${num(t.ci95[0])} to ${num(t.ci95[1])})` : ""}.`
    : "No backtest for this strategy yet (run quantpro backtest).";
  if (window.LightweightCharts) {
    drawPrice($("price-chart"), body, signal);
    drawRSI($("rsi-chart"), body, geometry);
  }
  detail.dataset.ready = "yes";
  if (!opts.keepScroll) detail.scrollTop = 0;
}

// ---------------------------------------------------------------- live updates
function connect() {
  const live = $("live");
  const source = new EventSource("/events");
  source.addEventListener("hello", (event) => {
    live.textContent = "live"; live.className = "badge live";
    // a feed written between the first load and this connection (or during a reconnect) is not missed
    const hello = JSON.parse(event.data || "{}");
    if (!state.feed || hello.version !== state.feed.version || hello.problem !== state.feed.problem) loadFeed();
  });
  source.addEventListener("feed", () => { loadFeed(); });
  source.onerror = () => { live.textContent = "reconnecting"; live.className = "badge warn"; };
}

function wire() {
  readHash();
  for (const id of ["f-exchange", "f-strategy", "f-action"]) $(id).addEventListener("change", applyFilters);
  for (const id of ["f-min-score", "f-search"]) $(id).addEventListener("input", applyFilters);
  document.querySelectorAll("th.sortable").forEach((th) => th.addEventListener("click", () => {
    const field = th.dataset.sort;
    state.sort = state.sort.field === field ? { field, desc: !state.sort.desc } : { field, desc: true };
    applyFilters();
  }));
  $("rows").addEventListener("click", (event) => {
    const tr = event.target.closest('tr[data-testid="signal-row"]');
    if (tr) openDetail({ exchange: tr.dataset.exchange, symbol: tr.dataset.symbol, strategy: tr.dataset.strategy });
  });
  $("rows").addEventListener("keydown", (event) => {
    const tr = event.target.closest('tr[data-testid="signal-row"]');
    if (tr && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      openDetail({ exchange: tr.dataset.exchange, symbol: tr.dataset.symbol, strategy: tr.dataset.strategy });
    }
  });
  $("d-close").addEventListener("click", () => { state.selected = null; destroyCharts(); $("detail").hidden = true; document.body.classList.remove("detail-open"); });
  const more = new IntersectionObserver((entries) => { if (entries.some((e) => e.isIntersecting)) renderMore(); }, { root: $("table-wrap") });
  more.observe($("more"));
}

wire();
loadFeed().then(() => {
  document.body.dataset.ready = "yes";
  performance.mark("qp-first-rows"); // read by bench/dashboard.py: navigation start → first rows drawn
});
connect();
setInterval(() => {
  showFeedAge();
  for (const tr of document.querySelectorAll('tr[data-testid="signal-row"]')) {
    const fired = Number(tr.dataset.firedAt);
    if (fired) tr.querySelector("td.age").textContent = duration((Date.now() - fired) / 1000);
  }
}, 30000);
