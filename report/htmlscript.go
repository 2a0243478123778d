package report

// pageScript is the HTML report's script. It draws the connection table
// from its data, sorted by a click on a column, filtered by words (all must
// match) and by verdict, a page of rows at a time. The first page is in the
// HTML: the data (possibly of many thousands of rows) is read only when the
// reader first sorts, filters or turns the page. It runs offline in any
// browser of the last years and writes nothing to the console.
const pageScript = `(function () {
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
  var v = text(r, 13);
  return v !== "clean" && v !== "clean, still open";
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
  var c = sortCol, d = sortDir;
  view.sort(function (a, b) {
    var x = key(rows[a], c), y = key(rows[b], c);
    if (x < y) return -d;
    if (x > y) return d;
    return a - b;
  });
  for (var i = 0; i < heads.length; i++) {
    heads[i].className = i === c ? (d > 0 ? "asc" : "desc") : "";
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
