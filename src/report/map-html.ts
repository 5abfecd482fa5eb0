// The interactive map: one self-contained HTML page (data, styles and a small hand-written SVG script
// inlined; no network, no libraries) with zoom and pan, hover tooltips, click-to-select with the piece's
// details, and a legend whose entries hide or show their group. Panels are linked: hovering or selecting a
// piece marks it in every snapshot. Written by hand rather than inlining vega-embed (≈1 MB of bundles
// for a scatter plot). Not the static picture (map-svg.ts).
import { checkMapData, mapGroups, type MapData } from './map-data.js';
import { esc } from './run-report.js';

/** The page's data block, as the script reads it. */
interface PageData {
  title: string;
  color: string;
  groups: { names: string[]; colors: string[] };
  /** Per item: [id, composer, title, performer, piece, key, form, split, group index]. */
  items: Array<[string, string, string, string, string, string, string, string, number]>;
  /** Per panel: title and flat [x0, y0, x1, y1, ...]. */
  panels: Array<{ title: string; xy: number[] }>;
}

/** The interactive page of a map, as a string. */
export function mapHtml(data: MapData): string {
  checkMapData(data);
  const groups = mapGroups(data.items, data.color);
  // Five significant digits are far below a pixel and keep a thousand-piece page small.
  const round = (v: number): number => Number(v.toPrecision(5));
  const page: PageData = {
    title: data.title,
    color: data.color,
    groups: { names: groups.names, colors: groups.colors },
    items: data.items.map((it, i) => [
      it.id,
      it.composer,
      it.title,
      it.performer,
      it.piece,
      it.key,
      it.form,
      it.split,
      groups.of[i],
    ]),
    panels: data.panels.map((p) => ({ title: p.title, xy: p.points.flatMap(([x, y]) => [round(x), round(y)]) })),
  };
  // `<` escaped so no label can close the script element.
  const json = JSON.stringify(page).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(data.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>${STYLE}</style></head><body>
<header><h1>${esc(data.title)}</h1><p class="help">Scroll to zoom, drag to pan, double-click to reset. Hover a point for the piece; click to select it (in every panel). Click a legend entry to hide or show its group.</p></header>
<main><div id="panels"></div>
<aside><h2>${esc(data.color)}</h2><p class="legend-actions"><button type="button" id="show-all">show all</button> <button type="button" id="hide-all">hide all</button></p><ul id="legend"></ul>
<h2>Selected</h2><div id="details"><p class="none">Click a point.</p></div></aside></main>
<div id="tooltip" hidden></div>
<script type="application/json" id="map-data">${json}</script>
<script>${SCRIPT}</script>
</body></html>
`;
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:0;color:#222;background:#fff}
header{padding:.6em 1em 0}h1{font-size:1.25em;margin:0}.help{color:#666;margin:.3em 0 .6em}
main{display:flex;gap:1em;padding:0 1em 1em;align-items:flex-start}
#panels{display:flex;flex-wrap:wrap;gap:.8em;flex:1;min-width:0}
figure{margin:0;flex:1 1 280px;max-width:520px}#panels.single figure{max-width:760px}figcaption{text-align:center;font-weight:600;margin-bottom:.2em}
svg.map{width:100%;height:auto;aspect-ratio:1;border:1px solid #ddd;background:#fff;cursor:grab;touch-action:none;display:block}
svg.map.dragging{cursor:grabbing}
circle{stroke:none;opacity:.8}circle.hover{stroke:#000;stroke-width:1.5;opacity:1}
circle.selected{stroke:#000;stroke-width:2.5;opacity:1}
aside{width:260px;flex:none}aside h2{font-size:1em;margin:.4em 0}
#legend{list-style:none;padding:0;margin:0;max-height:420px;overflow:auto}
#legend li{display:flex;align-items:center;gap:.4em;padding:.1em .2em;cursor:pointer;user-select:none;border-radius:3px}
#legend li:hover{background:#f1f1f1}#legend li.off{opacity:.35}
#legend .swatch{width:12px;height:12px;border-radius:50%;flex:none}#legend .n{color:#888;margin-left:auto}
.legend-actions{margin:0 0 .3em}button{font:inherit;font-size:12px}
#details dl{display:grid;grid-template-columns:auto 1fr;gap:.1em .6em;margin:0}#details dt{color:#666}#details dd{margin:0;overflow-wrap:anywhere}
.none{color:#888}
#tooltip{position:fixed;pointer-events:none;background:rgba(255,255,255,.95);border:1px solid #999;border-radius:4px;padding:.3em .5em;font-size:13px;max-width:320px;box-shadow:0 1px 4px rgba(0,0,0,.2)}
#tooltip b{display:block}
`;

// The browser side, kept as plain ES2017 in a string: it runs as is in the page and is tested in Chromium
// (test/report/map-browser.test.ts), not type-checked here.
const SCRIPT = String.raw`
(function () {
  'use strict';
  var NS = 'http://www.w3.org/2000/svg';
  var SIZE = 420, PAD = 14, R = 3.2;
  var FIELDS = ['id', 'composer', 'title', 'performer', 'piece', 'key', 'form', 'split'];
  var data = JSON.parse(document.getElementById('map-data').textContent);
  var items = data.items, groups = data.groups;
  var circles = items.map(function () { return []; });
  var hidden = groups.names.map(function () { return false; });
  var views = [];
  var selected = -1, hovered = -1;
  var tooltip = document.getElementById('tooltip');

  function el(name, attrs) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    return e;
  }
  function text(tag, s, cls) {
    var e = document.createElement(tag);
    e.textContent = s;
    if (cls) e.className = cls;
    return e;
  }

  // A lone map may use more of the window than one of several side by side.
  document.getElementById('panels').classList.toggle('single', data.panels.length === 1);
  data.panels.forEach(function (panel, pi) {
    var xy = panel.xy, n = items.length;
    var x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity;
    for (var i = 0; i < n; i++) {
      x0 = Math.min(x0, xy[2 * i]); x1 = Math.max(x1, xy[2 * i]);
      y0 = Math.min(y0, xy[2 * i + 1]); y1 = Math.max(y1, xy[2 * i + 1]);
    }
    // One scale for both axes keeps the projection's distances undistorted.
    var span = Math.max(x1 - x0, y1 - y0) || 1, s = (SIZE - 2 * PAD) / span;
    var ox = (SIZE - s * (x1 - x0)) / 2, oy = (SIZE - s * (y1 - y0)) / 2;
    var fig = document.createElement('figure');
    fig.appendChild(text('figcaption', panel.title));
    var svg = el('svg', { 'class': 'map', viewBox: '0 0 ' + SIZE + ' ' + SIZE, 'data-panel': pi });
    var g = el('g', {});
    svg.appendChild(g);
    for (var j = 0; j < n; j++) {
      var c = el('circle', { cx: (ox + s * (xy[2 * j] - x0)).toFixed(2), cy: (SIZE - oy - s * (xy[2 * j + 1] - y0)).toFixed(2), r: R, fill: groups.colors[items[j][8]] });
      c.dataset.i = j;
      g.appendChild(c);
      circles[j].push(c);
    }
    fig.appendChild(svg);
    document.getElementById('panels').appendChild(fig);
    var view = { svg: svg, g: g, k: 1, tx: 0, ty: 0 };
    views.push(view);
    attachZoom(view);
    svg.addEventListener('mousemove', function (ev) {
      var t = ev.target;
      var i = t.tagName === 'circle' ? Number(t.dataset.i) : -1;
      setHover(i);
      if (i >= 0) showTooltip(i, ev.clientX, ev.clientY);
    });
    svg.addEventListener('mouseleave', function () { setHover(-1); });
  });

  function applyView(v) {
    v.g.setAttribute('transform', 'translate(' + v.tx + ' ' + v.ty + ') scale(' + v.k + ')');
    // Dots keep their on-screen size while zooming in.
    var r = (R / Math.sqrt(v.k)).toFixed(3);
    var cs = v.g.childNodes;
    for (var i = 0; i < cs.length; i++) cs[i].setAttribute('r', r);
  }
  function toSvg(v, ev) {
    var b = v.svg.getBoundingClientRect();
    return [(ev.clientX - b.left) * SIZE / b.width, (ev.clientY - b.top) * SIZE / b.height];
  }
  function attachZoom(v) {
    var drag = null, moved = false;
    v.svg.addEventListener('wheel', function (ev) {
      ev.preventDefault();
      var p = toSvg(v, ev), f = Math.exp(-ev.deltaY * 0.0015);
      var k = Math.min(64, Math.max(0.5, v.k * f));
      f = k / v.k;
      v.tx = p[0] - f * (p[0] - v.tx); v.ty = p[1] - f * (p[1] - v.ty); v.k = k;
      applyView(v);
    }, { passive: false });
    v.svg.addEventListener('pointerdown', function (ev) {
      drag = { p: toSvg(v, ev), tx: v.tx, ty: v.ty }; moved = false;
      v.svg.setPointerCapture(ev.pointerId);
    });
    v.svg.addEventListener('pointermove', function (ev) {
      if (!drag) return;
      var p = toSvg(v, ev), dx = p[0] - drag.p[0], dy = p[1] - drag.p[1];
      // A few pixels of jitter is still a click, not a pan.
      if (!moved && Math.abs(dx) + Math.abs(dy) < 3) return;
      moved = true;
      v.svg.classList.add('dragging');
      v.tx = drag.tx + dx; v.ty = drag.ty + dy;
      applyView(v);
    });
    v.svg.addEventListener('pointerup', function (ev) {
      var wasDrag = moved;
      drag = null; moved = false;
      v.svg.classList.remove('dragging');
      if (wasDrag) return;
      var t = document.elementFromPoint(ev.clientX, ev.clientY);
      select(t && t.tagName === 'circle' ? Number(t.dataset.i) : -1);
    });
    v.svg.addEventListener('dblclick', function () { v.k = 1; v.tx = 0; v.ty = 0; applyView(v); });
  }

  function mark(i, cls, on) {
    if (i < 0) return;
    circles[i].forEach(function (c) {
      c.classList.toggle(cls, on);
      // Raised so a marked piece is never hidden under its neighbours.
      if (on) c.parentNode.appendChild(c);
    });
  }
  function setHover(i) {
    if (i === hovered) return;
    mark(hovered, 'hover', false);
    hovered = i;
    mark(i, 'hover', true);
    if (i < 0) tooltip.hidden = true;
  }
  function showTooltip(i, x, y) {
    var it = items[i];
    tooltip.textContent = '';
    tooltip.appendChild(text('b', it[2] || it[0]));
    tooltip.appendChild(text('div', it[1] || 'unknown composer'));
    if (it[3]) tooltip.appendChild(text('div', 'performer: ' + it[3]));
    tooltip.hidden = false;
    var w = tooltip.offsetWidth, h = tooltip.offsetHeight;
    tooltip.style.left = Math.min(x + 14, window.innerWidth - w - 4) + 'px';
    tooltip.style.top = Math.min(y + 14, window.innerHeight - h - 4) + 'px';
  }
  function select(i) {
    mark(selected, 'selected', false);
    selected = i;
    mark(i, 'selected', true);
    var d = document.getElementById('details');
    d.textContent = '';
    if (i < 0) { d.appendChild(text('p', 'Click a point.', 'none')); return; }
    var dl = document.createElement('dl');
    FIELDS.forEach(function (f, k) {
      if (!items[i][k]) return;
      dl.appendChild(text('dt', f));
      dl.appendChild(text('dd', items[i][k]));
    });
    d.appendChild(dl);
  }

  var counts = groups.names.map(function () { return 0; });
  items.forEach(function (it) { counts[it[8]]++; });
  var legend = document.getElementById('legend');
  var entries = groups.names.map(function (name, gi) {
    var li = document.createElement('li');
    li.dataset.group = name;
    var sw = text('span', '', 'swatch');
    sw.style.background = groups.colors[gi];
    li.appendChild(sw);
    li.appendChild(text('span', name, 'name'));
    li.appendChild(text('span', String(counts[gi]), 'n'));
    // Reachable and usable from the keyboard, like a toggle button.
    li.tabIndex = 0;
    li.setAttribute('role', 'button');
    li.setAttribute('aria-pressed', 'true');
    li.addEventListener('click', function () { setGroup(gi, !hidden[gi]); });
    li.addEventListener('keydown', function (ev) {
      if (ev.key !== 'Enter' && ev.key !== ' ') return;
      ev.preventDefault();
      setGroup(gi, !hidden[gi]);
    });
    legend.appendChild(li);
    return li;
  });
  function setGroup(gi, hide) {
    hidden[gi] = hide;
    entries[gi].classList.toggle('off', hide);
    entries[gi].setAttribute('aria-pressed', String(!hide));
    items.forEach(function (it, i) {
      if (it[8] !== gi) return;
      circles[i].forEach(function (c) { c.style.display = hide ? 'none' : ''; });
    });
  }
  document.getElementById('show-all').addEventListener('click', function () { groups.names.forEach(function (_, gi) { setGroup(gi, false); }); });
  document.getElementById('hide-all').addEventListener('click', function () { groups.names.forEach(function (_, gi) { setGroup(gi, true); }); });
})();
`;
