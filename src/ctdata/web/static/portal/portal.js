/* ctdata portal: draw each chart from the Vega-Lite spec embedded next to it (vendored Vega, no CDN).
   The tables beside the charts carry the same numbers, so the page is complete without this script. */
(function () {
  "use strict";
  /* A right-to-left page (Arabic) reads a chart from the right, as it reads its text: the first category
     (the earliest year) on the right, bars growing leftwards from the right, the category axis on the right.
     Every chart of the portal and the analysts' pages is drawn here, so the charts' specs stay the same in
     every language and this is the one place that turns them. The words inside the SVG keep their own
     direction (portal.css: [dir="rtl"] .vega is left to right, so a legend's words do not run over its
     symbols). */
  function mirrored(spec) {
    (spec.layer || []).forEach(mirrored);
    var enc = spec.encoding;
    if (!enc) { return spec; }
    if (enc.x && enc.x.field) { enc.x.scale = Object.assign({}, enc.x.scale, { reverse: true }); }
    if (enc.y && enc.y.field && enc.y.axis !== null) {
      enc.y.axis = Object.assign({}, enc.y.axis, { orient: "right" });
    }
    return spec;
  }
  function rightToLeft() {
    return (document.documentElement.getAttribute("dir") || "").toLowerCase() === "rtl";
  }
  function draw(el) {
    var src = document.getElementById(el.getAttribute("data-spec"));
    if (!src || typeof window.vegaEmbed !== "function") { return; }
    var spec;
    try { spec = JSON.parse(src.textContent); } catch (e) { return; }
    if (rightToLeft()) { spec = mirrored(spec); }
    var options = { mode: "vega-lite", actions: false, renderer: "svg", tooltip: true };
    var locale = document.getElementById("format-locale");  /* the page language's decimal sign and grouping */
    if (locale) { try { options.formatLocale = JSON.parse(locale.textContent); } catch (e) { /* English */ } }
    window.vegaEmbed(el, spec, options)
      .then(function (result) {
        el.classList.add("drawn");
        el.setAttribute("data-rendered", "true");
        var svg = el.querySelector("svg");
        if (svg) { svg.setAttribute("aria-hidden", "true"); svg.setAttribute("focusable", "false"); }
      })
      .catch(function (err) {
        el.classList.add("failed");
        el.textContent = el.getAttribute("data-failed") || "The chart could not be drawn; the table gives the same numbers.";
        if (window.console) { console.error(err); }
      });
  }
  function init() {
    var charts = document.querySelectorAll(".vega[data-spec]");
    for (var i = 0; i < charts.length; i++) { draw(charts[i]); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
