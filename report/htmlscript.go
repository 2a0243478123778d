package report

// pageScript is the HTML report's script. It draws the connection table
// from its data, sorted by a click on a column, filtered by words (all must
// match) and by verdict, a page of rows at a time. The first page is in the
// HTML: the data (possibly of many thousands of rows) is read only when the
// reader first sorts, filters or turns the page. It runs offline in any
// browser of the last years and writes nothing to the console.
//
// It also lets the reader zoom the graphs of a connection: a drag across
// one picks a stretch of time, which every graph of that connection then
// shows across its width (the graphs are redrawn by moving what they hold:
// every x coordinate of the plot area is mapped anew, markers keep their
// size, the time axis gets new ticks); a double click zooms out.
const pageScript = tableScript + zoomScript

const tableScript = `(function () {
"use strict";
var NUMERIC = [true, false, false, false, true, true, true, true, true, false, false, false, false, false];
var DICT = [false, false, true, false, false, false, false, false, false, true, true, true, true, true];
var table = document.getElementById("conns");
var n = +table.getAttribute("data-n");
var PAGE = +table.getAttribute("data-page");
var body = document.getElementById("conn-body");
var info = document.getElementById("info");
var pager = document.getElementById("pager");
var q = document.getElementById("q");
var bad = document.getElementById("bad");
var heads = table.querySelectorAll("th");
var rows = null, dicts = null, hay = null;
var view = null, sortCol = 0, sortDir = 1, page = 0;

function load() {
  if (rows) return;
  var o = JSON.parse(document.getElementById("rows").textContent);
  rows = o.r;
  dicts = o.d;
  view = [];
  for (var i = 0; i < rows.length; i++) view.push(i);
}

function text(r, c) {
  var v = r[c];
  if (DICT[c] && typeof v === "number") return dicts[c][v];
  if (c === 4) return v.toFixed(6);
  return String(v);
}

function problem(r) {
  return r[15] === 1;
}

function key(r, c) {
  if (c === 0) return parseFloat(r[0]);
  return NUMERIC[c] ? r[c] : text(r, c);
}

function apply() {
  load();
  var words = q.value.toLowerCase().split(/\s+/).filter(function (w) { return w !== ""; });
  if (words.length > 0 && !hay) {
    hay = rows.map(function (r) {
      var s = [];
      for (var c = 0; c < 14; c++) s.push(text(r, c));
      return s.join("\u0001").toLowerCase();
    });
  }
  var onlyBad = bad.checked;
  view = [];
  for (var i = 0; i < rows.length; i++) {
    if (onlyBad && !problem(rows[i])) continue;
    var ok = true;
    for (var j = 0; j < words.length && ok; j++) ok = hay[i].indexOf(words[j]) >= 0;
    if (ok) view.push(i);
  }
  sort();
  page = 0;
  render();
}

function sort() {
  var c = sortCol, d = sortDir, keys = new Array(rows.length);
  for (var i = 0; i < view.length; i++) keys[view[i]] = key(rows[view[i]], c);
  view.sort(function (a, b) {
    var x = keys[a], y = keys[b];
    if (x < y) return -d;
    if (x > y) return d;
    return a - b;
  });
  for (var h = 0; h < heads.length; h++) {
    heads[h].className = h === c ? (d > 0 ? "asc" : "desc") : "";
  }
}

function cell(tr, t, cls, href) {
  var td = document.createElement("td");
  if (cls) td.className = cls;
  if (href) {
    var a = document.createElement("a");
    a.href = href;
    a.textContent = t;
    td.appendChild(a);
  } else {
    td.textContent = t;
  }
  tr.appendChild(td);
}

function render() {
  var frag = document.createDocumentFragment();
  var start = page * PAGE, end = Math.min(view.length, start + PAGE);
  for (var i = start; i < end; i++) {
    var r = rows[view[i]];
    var tr = document.createElement("tr");
    if (problem(r)) tr.className = "bad";
    for (var c = 0; c < 14; c++) {
      var t = text(r, c);
      cell(tr, t, c === 13 ? "v" : (NUMERIC[c] ? "n" : ""), c === 0 && r[14] === 1 ? "#c" + t.replace(".", "-") : null);
    }
    frag.appendChild(tr);
  }
  body.textContent = "";
  body.appendChild(frag);
  status(view.length, start, end);
}

function status(count, start, end) {
  info.textContent = count === n ? n + " connections" : count + " of " + n + " connections match";
  pager.textContent = "";
  if (count <= PAGE) return;
  var pages = Math.ceil(count / PAGE);
  button("\u2190 previous", page > 0, function () { load(); page--; render(); });
  var span = document.createElement("span");
  span.textContent = " rows " + (start + 1) + "\u2013" + end + " of " + count + " (page " + (page + 1) + " of " + pages + ") ";
  pager.appendChild(span);
  button("next \u2192", page < pages - 1, function () { load(); page++; render(); });
}

function button(label, enabled, f) {
  var b = document.createElement("button");
  b.type = "button";
  b.textContent = label;
  b.disabled = !enabled;
  b.addEventListener("click", f);
  pager.appendChild(b);
}

for (var i = 0; i < heads.length; i++) {
  heads[i].addEventListener("click", (function (c) {
    return function () {
      load();
      if (sortCol === c) sortDir = -sortDir; else { sortCol = c; sortDir = 1; }
      sort();
      page = 0;
      render();
    };
  })(i));
}
var timer = 0;
q.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(apply, 150); });
bad.addEventListener("change", apply);
heads[0].className = "asc";
status(n, 0, Math.min(n, PAGE));
})();
`

const zoomScript = `(function () {
"use strict";
var SVGNS = "http://www.w3.org/2000/svg";
var saved = new WeakMap();
var KEEP = {line: ["x1", "x2"], rect: ["x", "width"], circle: ["cx"], text: ["x"], path: ["d"]};

function num(svg, name) { return +svg.getAttribute(name); }

function islands(svg) {
  return svg.getAttribute("data-ax").split(";").map(function (s) {
    var v = s.split(",").map(Number);
    return {p0: v[0], p1: v[1], t0: v[2], t1: v[3]};
  });
}

function original(el) {
  var o = saved.get(el);
  if (!o) {
    o = {};
    (KEEP[el.tagName] || []).forEach(function (a) { o[a] = el.getAttribute(a); });
    saved.set(el, o);
  }
  return o;
}

// zoom shows the original pixels pa..pb of svg's time axis across its plot.
function zoom(svg, pa, pb) {
  var left = num(svg, "data-left"), right = num(svg, "data-right");
  var k = (right - left) / (pb - pa);
  var f = function (x) { return (left + (x - pa) * k).toFixed(1); };
  var plot = svg.querySelector("g.plot");
  plot.querySelectorAll("line, rect, circle, text, path").forEach(function (el) {
    var o = original(el), tag = el.tagName;
    if (tag === "line") {
      el.setAttribute("x1", f(+o.x1));
      el.setAttribute("x2", f(+o.x2));
    } else if (tag === "rect") {
      if (el.classList.contains("mk")) {
        el.setAttribute("x", (f(+o.x + 3.5) - 3.5).toFixed(1));
      } else {
        var x0 = +f(+o.x), x1 = +f(+o.x + +o.width);
        el.setAttribute("x", x0.toFixed(1));
        el.setAttribute("width", Math.max(x1 - x0, 0).toFixed(1));
      }
    } else if (tag === "circle") {
      el.setAttribute("cx", f(+o.cx));
    } else if (tag === "text") {
      el.setAttribute("x", f(+o.x));
    } else if (tag === "path") {
      // Absolute moves and horizontal lines take new x; relative parts
      // (the shape of a marker) are kept.
      el.setAttribute("d", o.d.replace(/([MH])(-?[0-9.]+)/g, function (m, c, x) { return c + f(+x); }));
    }
  });
  ticks(svg, pa, pb, k, function (x) { return left + (x - pa) * k; });
  svg.setAttribute("data-zoom", pa + "," + pb);
}

function unzoom(svg) {
  var plot = svg.querySelector("g.plot");
  plot.querySelectorAll("line, rect, circle, text, path").forEach(function (el) {
    var o = saved.get(el);
    if (!o) return;
    for (var a in o) if (o[a] !== null) el.setAttribute(a, o[a]);
  });
  var g = svg.querySelector("g.xt");
  if (saved.has(g)) g.innerHTML = saved.get(g).html;
  svg.removeAttribute("data-zoom");
}

function niceStep(raw) {
  var p = Math.pow(10, Math.floor(Math.log10(raw))), f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

function label(v, step) {
  if (v === 0) return "0";
  return v.toFixed(Math.max(0, Math.min(9, Math.ceil(-Math.log10(step) - 1e-9))));
}

// ticks labels the zoomed time axis, about 90 pixels apart.
function ticks(svg, pa, pb, k, at) {
  var g = svg.querySelector("g.xt");
  if (!saved.has(g)) saved.set(g, {html: g.innerHTML});
  while (g.firstChild) g.removeChild(g.firstChild);
  var left = num(svg, "data-left"), right = num(svg, "data-right"), bottom = num(svg, "data-bottom");
  var last = -1e9;
  function add(x, text) {
    if (x < left - 1 || x > right + 1 || x - last < 44) return;
    last = x;
    var l = document.createElementNS(SVGNS, "line");
    l.setAttribute("class", "ax");
    l.setAttribute("x1", x.toFixed(1));
    l.setAttribute("x2", x.toFixed(1));
    l.setAttribute("y1", bottom);
    l.setAttribute("y2", bottom + 4);
    g.appendChild(l);
    var t = document.createElementNS(SVGNS, "text");
    t.setAttribute("class", "tl");
    t.setAttribute("x", x.toFixed(1));
    t.setAttribute("y", bottom + 14);
    t.setAttribute("text-anchor", "middle");
    t.textContent = text;
    g.appendChild(t);
  }
  islands(svg).forEach(function (is) {
    var a = Math.max(is.p0, pa), b = Math.min(is.p1, pb);
    if (a > b) return;
    if (!(is.p1 > is.p0) || !(is.t1 > is.t0)) {
      add(at((is.p0 + is.p1) / 2), label(is.t0, 0.000001));
      return;
    }
    var spp = (is.t1 - is.t0) / (is.p1 - is.p0); // seconds per original pixel
    var ta = is.t0 + (a - is.p0) * spp, tb = is.t0 + (b - is.p0) * spp;
    var step = niceStep(90 * spp / k);
    for (var i = Math.ceil(ta / step - 1e-9); i * step <= tb + 1e-12; i++) {
      add(at(is.p0 + (i * step - is.t0) / spp), label(i * step, step));
    }
  });
}

function point(svg, ev) {
  var p = svg.createSVGPoint();
  p.x = ev.clientX;
  p.y = ev.clientY;
  return p.matrixTransform(svg.getScreenCTM().inverse());
}

// toOriginal turns an x of svg as now drawn into its original pixel.
function toOriginal(svg, x) {
  var left = num(svg, "data-left"), right = num(svg, "data-right");
  var z = svg.getAttribute("data-zoom");
  var pa = left, pb = right;
  if (z) {
    var v = z.split(",").map(Number);
    pa = v[0];
    pb = v[1];
  }
  x = Math.min(Math.max(x, left), right);
  return pa + (x - left) * (pb - pa) / (right - left);
}

function siblings(svg) {
  var sec = svg.closest("section.conn") || svg.parentNode;
  return sec.querySelectorAll("svg[data-ax]");
}

document.querySelectorAll("svg[data-ax]").forEach(function (svg) {
  var start = null, sel = null;
  svg.addEventListener("mousedown", function (ev) {
    if (ev.button !== 0) return;
    ev.preventDefault();
    start = point(svg, ev).x;
    sel = document.createElementNS(SVGNS, "rect");
    sel.setAttribute("class", "sel");
    sel.setAttribute("x", start);
    sel.setAttribute("y", 0);
    sel.setAttribute("width", 0);
    sel.setAttribute("height", svg.getAttribute("height"));
    svg.appendChild(sel);
  });
  svg.addEventListener("mousemove", function (ev) {
    if (start === null) return;
    var x = point(svg, ev).x;
    sel.setAttribute("x", Math.min(x, start));
    sel.setAttribute("width", Math.abs(x - start));
  });
  function end(ev) {
    if (start === null) return;
    var x = point(svg, ev).x, from = start;
    start = null;
    svg.removeChild(sel);
    var a = toOriginal(svg, Math.min(x, from)), b = toOriginal(svg, Math.max(x, from));
    if (Math.abs(x - from) < 4 || b - a < 0.5) return; // a click, not a drag
    siblings(svg).forEach(function (s) { zoom(s, a, b); });
  }
  svg.addEventListener("mouseup", end);
  svg.addEventListener("mouseleave", end);
  svg.addEventListener("dblclick", function () {
    siblings(svg).forEach(unzoom);
  });
});
})();
`
