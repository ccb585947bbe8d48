#include "map/html.h"

#include <cmath>
#include <cstdint>
#include <iterator>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/byte_size.h"
#include "iomem_parser/diff.h"
#include "map/text.h"

namespace restree {
namespace map {
namespace {

constexpr char kStyle[] = R"css(
body{margin:0;font:13px sans-serif;color:#111;background:#fff}
header{padding:6px 12px}
h1{font-size:16px;margin:0 0 4px}
button{font:inherit;margin-right:4px}
p{margin:4px 0}
#wrap{position:relative;border-top:1px solid #999;border-bottom:1px solid #999}
canvas{display:block;width:100%;outline:none;cursor:crosshair}
canvas:focus{box-shadow:inset 0 0 0 3px #1565c0}
#tip{position:absolute;pointer-events:none;background:#fffff0;border:1px solid #555;
 padding:4px 6px;max-width:520px;font-size:12px;white-space:pre-wrap;display:none;z-index:2}
#legend .item{display:inline-block;margin-right:14px}
#legend .sw{display:inline-block;width:12px;height:12px;border:1px solid #333;
 vertical-align:middle;margin-right:4px}
#note{color:#b00000}
#details{padding:6px 12px;white-space:pre-wrap}
.keys{color:#444}
)css";

// The page's script. `D` is the embedded layout: items are
// [x0, x1, depth, parent, kind, name, first, last, size, row, change]
// (change: the diff's DiffEntry bits, 0 outside a diff).
constexpr char kScript[] = R"js(
(function () {
'use strict';
const T0 = performance.now();
const D = JSON.parse(document.getElementById('data').textContent);
// The arrays of the frame on show (a hotplug sequence has one frame per
// event, D.frames; otherwise D.items is the only one).
let N = 0, X0, X1, DEP, PAR, KIND, END, ROW, CHG, rows = [];
function load(items) {
  D.items = items;
  N = items.length;
  X0 = new Float64Array(N); X1 = new Float64Array(N);
  DEP = new Int32Array(N); PAR = new Int32Array(N);
  KIND = new Uint8Array(N); END = new Int32Array(N);
  ROW = new Int32Array(N); CHG = new Uint8Array(N);
  for (let i = 0; i < N; i++) {
    const it = items[i];
    X0[i] = it[0]; X1[i] = it[1]; DEP[i] = it[2]; PAR[i] = it[3]; KIND[i] = it[4];
    ROW[i] = it[9]; CHG[i] = it[10];
  }
  // End (exclusive) of each subtree in pre-order, without recursion.
  const st = [];
  for (let i = 0; i < N; i++) {
    while (st.length && DEP[st[st.length - 1]] >= DEP[i]) END[st.pop()] = i;
    st.push(i);
  }
  while (st.length) END[st.pop()] = N;
  // Items per row, in address (= x) order.
  rows = [];
  for (let i = 0; i < N; i++) {
    while (rows.length <= ROW[i]) rows.push([]);
    rows[ROW[i]].push(i);
  }
}
load(D.frames ? D.frames[D.frames.length - 1].items : D.items);
// A diff's marks: per change bit its name, colour and a hatch pattern.
const CHANGES = D.changes.map(function (c) {
  const p = document.createElement('canvas'); p.width = 8; p.height = 8;
  const g = p.getContext('2d'); g.strokeStyle = c.colour; g.lineWidth = 1.5;
  g.beginPath();
  for (const s of c.path) { g.moveTo(s[0], s[1]); g.lineTo(s[2], s[3]); }
  g.stroke();
  return {bit: c.bit, name: c.name, colour: c.colour, dash: c.dash, pattern: null, tile: p};
});
function primary(i) {
  for (const c of CHANGES) if (CHG[i] & c.bit) return c;
  return null;
}
function changeNames(i) {
  return CHANGES.filter(function (c) { return CHG[i] & c.bit; }).map(function (c) { return c.name; });
}
const BAND = D.band, TOP = 4, AXIS = 34, M = 8, FONT = 11, CHAR = D.charEm;
const canvas = document.getElementById('map');
const ctx = canvas.getContext('2d');
const tip = document.getElementById('tip');
const wrap = document.getElementById('wrap');
const statusEl = document.getElementById('status');
const details = document.getElementById('details');
let scale = 1, ox = 0, oy = 0, sel = -1, hover = -1;

function W() { return canvas.clientWidth; }
function H() { return canvas.clientHeight; }
function sx(x) { return (x - ox) * scale + M; }
function ux(px) { return ox + (px - M) / scale; }
// First index j in row with X1[row[j]] > x.
function firstEndingAfter(row, x, from) {
  let a = from || 0, b = row.length;
  while (a < b) { const m = (a + b) >> 1; if (X1[row[m]] > x) b = m; else a = m + 1; }
  return a;
}
function fit() { scale = (W() - 2 * M) / Math.max(D.width, 1); ox = 0; oy = 0; }
function resize() {
  const dpr = window.devicePixelRatio || 1;
  const want = Math.max(rows.length, D.rows) * BAND + TOP + AXIS + 4;
  const h = Math.max(140, Math.min(want, Math.max(260, window.innerHeight - 260)));
  canvas.style.height = h + 'px';
  canvas.width = Math.round(W() * dpr);
  canvas.height = Math.round(h * dpr);
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
}
function inSel(i) { return sel >= 0 && i >= sel && i < END[sel]; }
function label(i, w) {
  const room = w - 4;
  const it = D.items[i];
  if (!D.zeroed) { const s = it[5] + ' ' + it[8]; if (s.length * FONT * CHAR <= room) return s; }
  return it[5].length * FONT * CHAR <= room ? it[5] : '';
}
let drawn = 0;
function draw() {
  const w = W(), h = H();
  ctx.fillStyle = '#ffffff'; ctx.fillRect(0, 0, w, h);
  const lo = ux(0), hi = ux(w);
  const bandsBottom = h - AXIS;
  // Gaps: hatched columns with their size.
  ctx.font = '9px sans-serif'; ctx.textBaseline = 'top';
  let lastGapLabel = -Infinity;
  for (const g of D.gaps) {
    if (g[1] < lo || g[0] > hi) continue;
    const a = sx(g[0]), b = Math.max(sx(g[1]), a + 1);
    ctx.fillStyle = '#eeeeee'; ctx.fillRect(a, 0, b - a, bandsBottom);
    ctx.strokeStyle = '#000000'; ctx.lineWidth = 1; ctx.beginPath();
    const c = (a + b) / 2;
    ctx.moveTo(c - 3, bandsBottom + 6); ctx.lineTo(c, bandsBottom - 6);
    ctx.moveTo(c, bandsBottom + 6); ctx.lineTo(c + 3, bandsBottom - 6); ctx.stroke();
    const t = 'gap ' + g[2], tw = t.length * 9 * CHAR;
    if (g[2] && c - tw / 2 > lastGapLabel + 4) {
      ctx.fillStyle = '#000000'; ctx.fillText(t, c - tw / 2, bandsBottom + 8);
      lastGapLabel = c + tw / 2;
    }
  }
  ctx.strokeStyle = '#000000'; ctx.beginPath();
  ctx.moveTo(0, bandsBottom + 0.5); ctx.lineTo(w, bandsBottom + 0.5); ctx.stroke();
  const r0 = Math.max(0, Math.floor(oy / BAND));
  const r1 = Math.min(rows.length - 1, Math.floor((oy + bandsBottom - TOP) / BAND));
  ctx.font = FONT + 'px sans-serif'; ctx.textBaseline = 'middle';
  drawn = 0;
  for (let r = r0; r <= r1; r++) {
    const row = rows[r];
    const y = TOP + r * BAND - oy;
    let j = firstEndingAfter(row, lo, 0);
    while (j < row.length) {
      const i = row[j];
      if (X0[i] > hi) break;
      const a = sx(X0[i]);
      const b = Math.max(sx(X1[i]), a + 1);
      ctx.fillStyle = D.kinds[KIND[i]].colour;
      ctx.fillRect(a, y, b - a, BAND - 1);
      if (b - a > 3) {
        ctx.strokeStyle = '#333333'; ctx.lineWidth = 0.5;
        ctx.strokeRect(a + 0.25, y + 0.25, b - a - 0.5, BAND - 1.5);
      }
      const c = CHG[i] ? primary(i) : null;
      if (c) {
        if (!c.pattern) c.pattern = ctx.createPattern(c.tile, 'repeat');
        ctx.fillStyle = c.pattern; ctx.fillRect(a, y, b - a, BAND - 1);
        ctx.strokeStyle = c.colour; ctx.lineWidth = 2;
        ctx.setLineDash(c.dash ? [4, 2] : []);
        ctx.strokeRect(a + 1, y + 1, Math.max(b - a - 2, 1), BAND - 3);
        ctx.setLineDash([]);
      }
      if (inSel(i)) { ctx.fillStyle = 'rgba(21,101,192,0.35)'; ctx.fillRect(a, y, b - a, BAND - 1); }
      const vis0 = Math.max(a, 0), vis1 = Math.min(b, w);
      const t = label(i, vis1 - vis0);
      if (t) { ctx.fillStyle = '#000000'; ctx.fillText(t, vis0 + 2, y + BAND / 2); }
      drawn++;
      // Everything else ending within this pixel is hidden under it: skip it.
      j = b - a < 1.5 ? firstEndingAfter(row, ux(b), j + 1) : j + 1;
    }
  }
  for (const [k, colour] of [[hover, '#000000'], [sel, '#1565c0']]) {
    if (k < 0) continue;
    const r = ROW[k], y = TOP + r * BAND - oy;
    ctx.strokeStyle = colour; ctx.lineWidth = 2;
    ctx.strokeRect(sx(X0[k]), y + 1, Math.max(sx(X1[k]) - sx(X0[k]), 2), BAND - 3);
  }
  canvas.dataset.drawn = String(drawn);
}
function redraw() { draw(); }

function ancestry(k) {
  const names = [];
  for (let p = PAR[k]; p >= 0; p = PAR[p]) names.push(D.items[p][5]);
  names.reverse();
  if (names.length > 40) return names.slice(0, 20).join(' \u203a ') + ' \u203a \u2026 (' + (names.length - 40) + ' more) \u203a ' + names.slice(-20).join(' \u203a ');
  return names.length ? names.join(' \u203a ') : '(top level)';
}
function describe(k) {
  const it = D.items[k];
  const lines = [it[5]];
  if (!D.zeroed) { lines.push('range ' + it[6] + '\u2013' + it[7]); lines.push('size ' + it[8]); }
  lines.push('depth ' + DEP[k] + ', ' + D.kinds[KIND[k]].label);
  if (D.diff) lines.push((ROW[k] >= D.afterRow ? 'after' : 'before') + (CHG[k] ? ': ' + changeNames(k).join(', ') : ': unchanged'));
  else if (CHG[k]) lines.push('this event: ' + changeNames(k).join(', '));
  lines.push('under: ' + ancestry(k));
  if (END[k] - k > 1) lines.push((END[k] - k - 1) + ' resources inside');
  return lines.join('\n');
}
function showTip(k, px, py) {
  if (k < 0) { tip.style.display = 'none'; tip.dataset.index = ''; return; }
  tip.textContent = describe(k);
  tip.dataset.index = String(k);
  tip.style.display = 'block';
  const left = Math.min(px + 14, Math.max(0, W() - tip.offsetWidth - 4));
  tip.style.left = left + 'px';
  tip.style.top = (py + 16) + 'px';
}
function hit(px, py) {
  const r = Math.floor((py - TOP + oy) / BAND);
  if (r < 0 || r >= rows.length || py > H() - AXIS) return -1;
  const row = rows[r], x = ux(px);
  const j = firstEndingAfter(row, x, 0);
  if (j < row.length && X0[row[j]] <= x) return row[j];
  // A resource drawn 1 px wide because it is narrower.
  if (j < row.length && sx(X0[row[j]]) <= px + 0.5) return row[j];
  return -1;
}
function local(e) { const rc = canvas.getBoundingClientRect(); return [e.clientX - rc.left, e.clientY - rc.top]; }
let drag = null;
canvas.addEventListener('mousemove', function (e) {
  const [px, py] = local(e);
  if (drag) {
    ox = drag.ox - (px - drag.px) / scale;
    oy = Math.max(0, drag.oy - (py - drag.py));
    drag.moved = true; draw(); return;
  }
  const k = hit(px, py);
  if (k !== hover) { hover = k; draw(); }
  showTip(k, px, py);
});
canvas.addEventListener('mouseleave', function () { hover = -1; showTip(-1); draw(); });
canvas.addEventListener('mousedown', function (e) { const [px, py] = local(e); drag = { px: px, py: py, ox: ox, oy: oy, moved: false }; });
window.addEventListener('mouseup', function () { setTimeout(function () { drag = null; }, 0); });
canvas.addEventListener('click', function (e) {
  if (drag && drag.moved) return;
  const [px, py] = local(e);
  select(hit(px, py), false);
});
canvas.addEventListener('wheel', function (e) {
  e.preventDefault();
  const [px] = local(e);
  zoomAt(px, e.deltaY < 0 ? 1.25 : 0.8);
}, { passive: false });
function zoomAt(px, f) {
  const x = ux(px);
  scale = Math.max((W() - 2 * M) / Math.max(D.width, 1) / 2, Math.min(scale * f, 1e6));
  ox = x - (px - M) / scale;
  draw();
}
function zoomTo(k) {
  const span = Math.max(X1[k] - X0[k], 1e-6);
  scale = Math.min((W() - 2 * M) * 0.6 / span, 1e6);
  ox = X0[k] - ((W() - 2 * M) / scale - span) / 2;
  const y = ROW[k] * BAND, room = H() - AXIS - TOP;
  if (y < oy || y + BAND > oy + room) oy = Math.max(0, y - room / 2);
  draw();
}
function ensureVisible(k) {
  const a = sx(X0[k]), b = sx(X1[k]);
  const y = ROW[k] * BAND, room = H() - AXIS - TOP;
  if (b < 0 || a > W() || b - a < 2 || y < oy || y + BAND > oy + room) zoomTo(k);
}
function select(k, fromKeys) {
  sel = k;
  if (k < 0) { details.textContent = ''; statusEl.textContent = 'nothing selected'; draw(); return; }
  details.textContent = 'Selected subtree (' + (END[k] - k) + ' resources):\n' + describe(k);
  statusEl.textContent = D.items[k][5] + ', depth ' + DEP[k] + (D.zeroed ? '' : ', ' + D.items[k][6] + '\u2013' + D.items[k][7] + ', ' + D.items[k][8]);
  if (fromKeys) ensureVisible(k);
  draw();
  if (fromKeys) {
    const rc = [sx(X0[k]), TOP + ROW[k] * BAND - oy];
    showTip(k, Math.max(0, rc[0]), rc[1] + BAND / 2);
  }
}
function sibling(k, dir) {
  const row = rows[ROW[k]];
  let lo = 0, hi = row.length;
  while (lo < hi) { const m = (lo + hi) >> 1; if (row[m] < k) lo = m + 1; else hi = m; }
  const j = lo + dir;
  return j >= 0 && j < row.length ? row[j] : k;
}
canvas.addEventListener('keydown', function (e) {
  let k = sel;
  const w = W();
  switch (e.key) {
    case 'ArrowLeft': case 'ArrowRight':
      if (e.shiftKey) { ox += (e.key === 'ArrowLeft' ? -0.2 : 0.2) * w / scale; draw(); break; }
      k = k < 0 ? 0 : sibling(k, e.key === 'ArrowLeft' ? -1 : 1); select(k, true); break;
    case 'ArrowUp': if (k < 0) k = 0; else if (PAR[k] >= 0) k = PAR[k]; select(k, true); break;
    case 'ArrowDown': if (k < 0) k = 0; else if (END[k] > k + 1) k = k + 1; select(k, true); break;
    case 'Enter': if (k >= 0) { const e0 = X0[k], e1 = X1[k]; scale = (w - 2 * M) / Math.max(e1 - e0, 1e-6); ox = e0; draw(); } break;
    case '+': case '=': zoomAt(w / 2, 1.5); break;
    case '-': zoomAt(w / 2, 1 / 1.5); break;
    case '0': case 'Home': fit(); draw(); break;
    case '[': case 'PageUp': if (D.frames) showFrame(frame - 1); break;
    case ']': case 'PageDown': if (D.frames) showFrame(frame + 1); break;
    case 'Escape': select(-1, false); showTip(-1); break;
    default: return;
  }
  e.preventDefault();
});
canvas.addEventListener('blur', function () { showTip(-1); });
// A hotplug sequence: one frame per event, the slider or [ and ] step.
let frame = D.frames ? D.frames.length - 1 : 0;
const slider = document.getElementById('frame');
const caption = document.getElementById('caption');
function showFrame(k) {
  if (!D.frames || k < 0 || k >= D.frames.length) return;
  frame = k;
  load(D.frames[k].items);
  sel = -1; hover = -1; showTip(-1);
  slider.value = String(k);
  caption.textContent = (k + 1) + '/' + D.frames.length + ': ' + D.frames[k].caption;
  draw();
}
if (D.frames) {
  slider.addEventListener('input', function () { showFrame(Number(slider.value)); });
  caption.textContent = D.frames.length + '/' + D.frames.length + ': ' + D.frames[frame].caption;
}
document.getElementById('zin').onclick = function () { zoomAt(W() / 2, 1.5); };
document.getElementById('zout').onclick = function () { zoomAt(W() / 2, 1 / 1.5); };
document.getElementById('reset').onclick = function () { fit(); draw(); };
window.addEventListener('resize', function () { const f = (W() - 2 * M) / Math.max(D.width, 1); resize(); if (scale < f) fit(); draw(); });
const legend = document.getElementById('legend');
for (const k of D.kinds) {
  if (!k.present) continue;
  const s = document.createElement('span'); s.className = 'item';
  const sw = document.createElement('span'); sw.className = 'sw'; sw.style.background = k.colour;
  s.appendChild(sw); s.appendChild(document.createTextNode(k.label)); legend.appendChild(s);
}
for (const c of (D.marks ? CHANGES : [])) {
  const s = document.createElement('span'); s.className = 'item chg-' + c.name;
  const sw = document.createElement('span'); sw.className = 'sw';
  sw.style.backgroundImage = 'url(' + c.tile.toDataURL() + ')';
  sw.style.border = '2px ' + (c.dash ? 'dashed ' : 'solid ') + c.colour;
  s.appendChild(sw); s.appendChild(document.createTextNode(c.name)); legend.appendChild(s);
}
resize(); fit(); draw();
const firstDrawMs = performance.now() - T0;

// ?selftest: the page checks itself and writes the result into the DOM.
if (/[?&]selftest\b/.test(location.search)) {
  const out = document.getElementById('selftest-result');
  const fails = [];
  let failCount = 0;
  const fail = function (m) { if (failCount++ < 20) fails.push(m); };
  if (N !== D.count) fail('items ' + N + ' != count ' + D.count);
  for (let i = 0; i < N; i++) {
    const p = PAR[i];
    if (!(X0[i] <= X1[i])) fail('item ' + i + ': x0 > x1');
    if (p >= i) fail('item ' + i + ': parent after it');
    if (p >= 0 && (DEP[p] !== DEP[i] - 1 || X0[i] < X0[p] || X1[i] > X1[p])) fail('item ' + i + ': not inside its parent');
  }
  for (const row of rows) for (let j = 1; j < row.length; j++) if (X0[row[j]] < X1[row[j - 1]] - 1e-9) fail('row order at ' + row[j]);
  const rc = canvas.getBoundingClientRect();
  const step = N <= 3000 ? 1 : Math.ceil(N / 500);
  let hovered = 0, tried = 0;
  const probe = function (k) {
    tried++;
    zoomTo(k);
    const px = (Math.max(sx(X0[k]), 0) + Math.min(sx(X1[k]), W())) / 2;
    const py = TOP + ROW[k] * BAND - oy + BAND / 2;
    canvas.dispatchEvent(new MouseEvent('mousemove', { clientX: rc.left + px, clientY: rc.top + py, bubbles: true }));
    if (tip.style.display === 'block' && tip.dataset.index === String(k) && tip.textContent.indexOf(D.items[k][5]) === 0) hovered++;
    else fail('hover on item ' + k + ' (' + D.items[k][5] + ') showed ' + (tip.dataset.index || 'nothing'));
  };
  const p0 = performance.now();
  for (let k = 0; k < N; k += step) probe(k);
  if (N > 0 && (N - 1) % step !== 0) probe(N - 1);
  const probeMs = performance.now() - p0;
  canvas.dispatchEvent(new MouseEvent('mouseleave', {}));
  // A click selects the subtree under the pointer.
  let clicked = 'n/a';
  if (N > 0) {
    zoomTo(0);
    const px = (Math.max(sx(X0[0]), 0) + Math.min(sx(X1[0]), W())) / 2, py = TOP - oy + BAND / 2;
    canvas.dispatchEvent(new MouseEvent('click', { clientX: rc.left + px, clientY: rc.top + py, bubbles: true }));
    clicked = sel === 0 ? 'ok' : 'selected ' + sel;
    if (sel !== 0) fail('click on item 0 selected ' + sel);
  }
  // The keys walk the tree: down to a child, up to its parent.
  let keys = 'n/a';
  const deep = Array.prototype.findIndex.call(PAR, function (p) { return p >= 0; });
  if (deep >= 0) {
    canvas.focus();
    select(PAR[deep], false);
    const key = function (k) { canvas.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true })); };
    key('ArrowDown');
    const down = sel;
    key('ArrowUp');
    keys = down === PAR[deep] + 1 && sel === PAR[deep] && tip.style.display === 'block' ? 'ok' : 'down ' + down + ' up ' + sel;
    if (keys !== 'ok') fail('keys: ' + keys);
  }
  // Every frame loads through the keys, with its own structure.
  let frames = 'n/a';
  if (D.frames) {
    canvas.focus();
    const key = function (k) { canvas.dispatchEvent(new KeyboardEvent('keydown', { key: k, bubbles: true })); };
    let seen = 0;
    for (let k = D.frames.length - 1; k >= 0; k--) {
      if (frame !== k || N !== D.frames[k].items.length) fail('frame ' + k + ': showing ' + frame + ' with ' + N + ' items');
      for (let i = 0; i < N; i++) {
        const p = PAR[i];
        if (p >= 0 && (DEP[p] !== DEP[i] - 1 || X0[i] < X0[p] || X1[i] > X1[p])) fail('frame ' + k + ' item ' + i + ': not inside its parent');
      }
      if (caption.textContent.indexOf(D.frames[k].caption) < 0) fail('frame ' + k + ': caption ' + caption.textContent);
      seen++;
      key('[');
    }
    if (frame !== 0) fail('[ went below the first frame');
    for (let k = 1; k < D.frames.length; k++) key(']');
    key(']');
    if (frame !== D.frames.length - 1) fail('] did not reach the last frame');
    frames = seen + '/' + D.frames.length;
  }
  fit(); select(-1, false); showTip(-1);
  out.textContent = 'resources ' + N + '\nhover ' + hovered + '/' + tried + '\nclick ' + clicked +
      '\nkeys ' + keys + '\nframes ' + frames + '\ndrawn ' + drawn +
      '\nfirst draw ' + Math.round(firstDrawMs) + ' ms\nprobe ' + Math.round(probeMs / Math.max(tried, 1) * 10) / 10 + ' ms\n' + (failCount ? failCount + ' failures:\n' + fails.join('\n') : 'ok');
  out.dataset.status = failCount ? 'fail' : 'pass';
  out.hidden = false;
}
})();
)js";

// The items as a JSON array of
// [x0, x1, depth, parent, kind, name, first, last, size, row, change].
void AppendItems(const std::vector<MapItem>& items, bool zeroed,
                 std::string* out) {
  *out += "[\n";
  for (size_t i = 0; i < items.size(); ++i) {
    const MapItem& item = items[i];
    absl::StrAppend(out, i ? ",\n" : "", "[", Num(item.x0), ",", Num(item.x1),
                    ",", item.depth, ",", item.parent, ",",
                    static_cast<int>(item.kind), ",\"", JsonEscape(item.name),
                    "\"");
    if (zeroed) {
      *out += ",\"\",\"\",\"\"";
    } else {
      absl::StrAppend(out, ",\"", Hex(item.range.first()), "\",\"",
                      Hex(item.range.last()), "\",\"",
                      HumanSize(item.range.size()), "\"");
    }
    absl::StrAppend(out, ",", item.row, ",", item.change, "]");
  }
  *out += "]";
}

}  // namespace

std::string RenderHtml(const MapLayout& layout, const HtmlOptions& options) {
  const std::string title = XmlEscape(options.title);
  std::string out;
  out.reserve(16384 + layout.items.size() * 90);
  absl::StrAppend(&out,
                  "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
                  "charset=\"utf-8\">\n<title>restree map",
                  title.empty() ? "" : ": ", title, "</title>\n<style>", kStyle,
                  "</style></head>\n<body>\n<header><h1>Physical address map",
                  title.empty() ? "" : ": ", title, "</h1>\n");
  if (layout.diff) {
    absl::StrAppend(&out,
                    "<p>Before (top rows) and after (bottom rows) on one "
                    "axis; changed resources are marked by colour and "
                    "pattern.</p>\n");
  } else if (!layout.frames.empty()) {
    absl::StrAppend(&out, "<p>", layout.frames.size(),
                    " frames: the tree before the first event and after "
                    "each, on one axis; what each event changed is marked "
                    "by colour and pattern.</p>\n<div id=\"frames\">"
                    "<label for=\"frame\">event</label> <input type=\"range\" "
                    "id=\"frame\" min=\"0\" max=\"",
                    layout.frames.size() - 1, "\" value=\"",
                    layout.frames.size() - 1,
                    "\"> <span id=\"caption\" aria-live=\"polite\"></span> "
                    "<span class=\"keys\">([ and ] or Page Up/Down on the "
                    "map step through the events)</span></div>\n");
  } else {
    absl::StrAppend(&out, "<p>", layout.items.size(), " resources, ",
                    layout.max_depth,
                    layout.max_depth == 1 ? " level" : " levels",
                    "; address increases to the right, nesting "
                    "downwards.</p>\n");
  }
  absl::StrAppend(
      &out,
      "<p class=\"axis-note\">The axis is compressed: widths grow with the "
      "logarithm of each span's size (not to scale); empty gaps are cut, "
      "marked with a break and their size.</p>\n");
  if (layout.zeroed) {
    absl::StrAppend(
        &out,
        "<p id=\"note\">This dump has no addresses (every address was 0: it "
        "was read without CAP_SYS_ADMIN); the map shows its structure only. "
        "Read /proc/iomem as root for addresses and sizes.</p>\n");
  }
  absl::StrAppend(
      &out,
      "<div id=\"bar\"><button id=\"zin\" aria-label=\"zoom in\">+</button>"
      "<button id=\"zout\" aria-label=\"zoom out\">&#8722;</button>"
      "<button id=\"reset\">reset</button> <span class=\"keys\">Mouse: wheel "
      "zooms, drag pans, hover shows a resource, click selects its subtree. "
      "Keys (click the map or Tab to it): arrows walk the tree "
      "(&#8592;/&#8594; neighbours at the same depth, &#8593; parent, "
      "&#8595; first child), Enter zooms to the selection, + and &#8722; "
      "zoom, Shift+&#8592;/&#8594; pan, 0 resets, Esc clears.</span></div>\n"
      "<div id=\"legend\"></div></header>\n",
      "<div id=\"wrap\"><canvas id=\"map\" tabindex=\"0\" role=\"img\" "
      "aria-label=\"Address map of ",
      layout.items.size(),
      " resources; use the arrow keys to move between them\"></canvas>"
      "<div id=\"tip\" role=\"tooltip\"></div></div>\n"
      "<div id=\"status\" aria-live=\"polite\"></div>\n"
      "<div id=\"details\"></div>\n"
      "<pre id=\"selftest-result\" hidden></pre>\n"
      "<script type=\"application/json\" id=\"data\">");

  // The layout as JSON.
  absl::StrAppend(
      &out, "{\"title\":\"", JsonEscape(options.title),
      "\",\"zeroed\":", layout.zeroed ? "true" : "false",
      ",\"width\":", Num(layout.width), ",\"band\":", Num(layout.band_height),
      ",\"charEm\":", kCharWidthEm, ",\"count\":", layout.items.size(),
      ",\"diff\":", layout.diff ? "true" : "false",
      ",\"marks\":", layout.diff || !layout.frames.empty() ? "true" : "false",
      ",\"rows\":", layout.rows, ",\"afterRow\":", layout.after_row,
      ",\"changes\":[");
  // The diff's marks, in PrimaryChange order: a hatch per change (segments
  // on an 8 px tile) so they read in greyscale too.
  static constexpr struct {
    unsigned bit;
    const char* name;
    const char* path;
  } kMarks[] = {
      {DiffEntry::kRemoved, "removed", "[[0,0,8,8],[8,0,0,8]]"},
      {DiffEntry::kAdded, "added", "[[0,8,8,0]]"},
      {DiffEntry::kReparented, "reparented", "[[0,4,8,4]]"},
      {DiffEntry::kResized, "resized", "[[4,0,4,8]]"},
      {DiffEntry::kFlagsChanged, "flags", "[[2,2,3,3],[6,6,7,7]]"},
  };
  for (size_t c = 0; c < std::size(kMarks); ++c) {
    absl::StrAppend(&out, c ? "," : "", "{\"bit\":", kMarks[c].bit,
                    ",\"name\":\"", kMarks[c].name, "\",\"colour\":\"",
                    ChangeColour(kMarks[c].name),
                    "\",\"dash\":", c == 0 ? "true" : "false",
                    ",\"path\":", kMarks[c].path, "}");
  }
  out += "],\"kinds\":[";
  for (int k = 0; k < kMapKindCount; ++k) {
    const MapKind kind = static_cast<MapKind>(k);
    absl::StrAppend(
        &out, k ? "," : "", "{\"id\":\"", KindId(kind), "\",\"label\":\"",
        JsonEscape(KindLabel(kind)), "\",\"colour\":\"", KindColour(kind),
        "\",\"present\":",
        layout.kinds_present[static_cast<size_t>(k)] ? "true" : "false", "}");
  }
  out += "],\"gaps\":[";
  bool first_gap = true;
  for (const AxisInterval& iv : layout.axis) {
    if (!iv.gap) continue;
    absl::StrAppend(&out, first_gap ? "" : ",", "[", Num(iv.x0), ",",
                    Num(iv.x1), ",\"",
                    layout.zeroed ? "" : HumanSize(iv.end - iv.first), "\"]");
    first_gap = false;
  }
  out += "],\"items\":";
  AppendItems(layout.items, layout.zeroed, &out);
  if (!layout.frames.empty()) {
    out += ",\"frames\":[";
    for (size_t k = 0; k < layout.frames.size(); ++k) {
      absl::StrAppend(&out, k ? ",\n" : "", "{\"caption\":\"",
                      JsonEscape(layout.frames[k].caption), "\",\"items\":");
      AppendItems(layout.frames[k].items, layout.zeroed, &out);
      out += "}";
    }
    out += "]";
  }
  absl::StrAppend(&out, "}</script>\n<script>", kScript,
                  "</script>\n</body></html>\n");
  return out;
}

}  // namespace map
}  // namespace restree
