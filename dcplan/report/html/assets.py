"""The style sheet and the one small script every report embeds (kept as strings: no package data to ship)."""

# System fonts only: a web font would be a network request or hundreds of kB inline.
CSS = """
:root { --ink:#1f2933; --muted:#5f6b7a; --line:#d9dde3; --bg:#f6f7f9; --card:#fff; --accent:#0072B2;
  --bad:#D55E00; --warn:#b07800; --good:#00795a; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; scroll-padding-top: 48px; }
body { margin:0; background:var(--bg); color:var(--ink); font: 14px/1.45 system-ui, -apple-system,
  "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans", Arial, sans-serif; }
header.top { background:#fff; border-bottom:1px solid var(--line); padding:16px 24px 8px; }
header.top h1 { margin:0 0 4px; font-size:22px; overflow-wrap:anywhere; }
.meta { color:var(--muted); font-size:13px; }
nav.toc { position:sticky; top:0; z-index:2; background:#fff; border-bottom:1px solid var(--line);
  padding:6px 24px; font-size:13px; white-space:nowrap; overflow-x:auto; }
nav.toc a { margin-right:14px; color:var(--accent); text-decoration:none; }
main { max-width:1240px; margin:0 auto; padding:8px 24px 48px; }
section { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:12px 18px 16px;
  margin:16px 0; }
h2 { font-size:18px; margin:4px 0 10px; }
h3 { font-size:15px; margin:14px 0 6px; overflow-wrap:anywhere; }
p.note, .note { color:var(--muted); font-size:13px; margin:4px 0 8px; }
.cards { display:grid; grid-template-columns:repeat(auto-fill, minmax(170px, 1fr)); gap:10px; }
.card { border:1px solid var(--line); border-radius:6px; padding:8px 10px; background:#fbfcfd; }
.card .k { color:var(--muted); font-size:12px; }
.card .v { font-size:19px; font-weight:600; overflow-wrap:anywhere; }
.card .s { color:var(--muted); font-size:12px; overflow-wrap:anywhere; }
.grid2 { display:grid; grid-template-columns:repeat(auto-fit, minmax(480px, 1fr)); gap:12px 20px; }
figure.chart-box { margin:6px 0 10px; break-inside:avoid; page-break-inside:avoid; }
figure.chart-box figcaption { font-weight:600; font-size:13px; margin-bottom:2px; overflow-wrap:anywhere; }
svg.chart { max-width:100%; height:auto; display:block; font-family:inherit; }
svg.chart .pt-link { cursor:pointer; }
svg.chart .pt-link.selected circle, svg.chart .pt-link.selected path { stroke:#000; stroke-width:3; }
table { border-collapse:collapse; width:100%; font-size:13px; margin:6px 0 10px; }
th, td { border-bottom:1px solid var(--line); padding:4px 8px; text-align:left; vertical-align:top; min-width:6em;
  overflow-wrap:anywhere; }
th { background:#f0f2f5; font-weight:600; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
td.num { white-space:nowrap; }
th { overflow-wrap:normal; }
tr.binding td { background:#fff4e5; }
.table-wrap { overflow-x:auto; }
.badge { display:inline-block; padding:0 6px; border-radius:9px; font-size:12px; background:#e8edf3;
  white-space:nowrap; }
.badge.ok { background:#dff3ec; color:var(--good); } .badge.warn { background:#fff1d6; color:var(--warn); }
.badge.bad { background:#fde5dc; color:var(--bad); } .badge.iso { background:#fde5dc; color:var(--bad); }
details { margin:6px 0; } summary { cursor:pointer; color:var(--accent); }
details.point { border:1px solid var(--line); border-radius:6px; padding:4px 10px; }
details.point.selected { border-color:var(--accent); box-shadow:0 0 0 2px #0072B233; }
.racks { display:flex; flex-wrap:wrap; gap:14px; align-items:flex-end; }
.racks figure.chart-box { margin:0; }
ul.warnings li { color:var(--warn); }
@media (max-width: 700px) { main { padding:4px 8px 32px; } .grid2 { grid-template-columns:1fr; } }
@page { margin: 14mm 12mm; }
@media print {
  body { background:#fff; font-size:12px; }
  nav.toc { display:none; }
  main { max-width:none; padding:0; }
  section { border:none; padding:0; margin:10px 0; break-inside:auto; }
  h2, h3 { break-after:avoid; page-break-after:avoid; }
  tr, .card, figure.chart-box { break-inside:avoid; page-break-inside:avoid; }
  .grid2 { display:block; }  /* one chart per row: at A4 width two side by side get too small to read */
  summary { color:var(--ink); }
}
"""

# Opens every <details> for printing (closed ones would print empty), and opens and
# highlights the details a link points at (a Pareto point clicked in the chart).
SCRIPT = """
(function () {
  function select(hash) {
    if (!hash || hash.length < 2) return;
    var target = document.getElementById(decodeURIComponent(hash.slice(1)));
    if (!target) return;
    document.querySelectorAll('.selected').forEach(function (e) { e.classList.remove('selected'); });
    if (target.tagName === 'DETAILS') { target.open = true; target.classList.add('selected'); }
    document.querySelectorAll('a.pt-link').forEach(function (a) {
      if (a.getAttribute('href') === hash) a.classList.add('selected');
    });
  }
  window.addEventListener('hashchange', function () { select(location.hash); });
  document.addEventListener('DOMContentLoaded', function () { select(location.hash); });
  var reopened = [];
  window.addEventListener('beforeprint', function () {
    document.querySelectorAll('details:not([open])').forEach(function (d) { d.open = true; reopened.push(d); });
  });
  window.addEventListener('afterprint', function () {
    reopened.forEach(function (d) { d.open = false; }); reopened = [];
  });
})();
"""
