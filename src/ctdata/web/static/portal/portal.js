/* ctdata portal: draw each chart from the Vega-Lite spec embedded next to it (vendored Vega, no CDN).
   The tables beside the charts carry the same numbers, so the page is complete without this script. */
(function () {
  "use strict";
  function draw(el) {
    var src = document.getElementById(el.getAttribute("data-spec"));
    if (!src || typeof window.vegaEmbed !== "function") { return; }
    var spec;
    try { spec = JSON.parse(src.textContent); } catch (e) { return; }
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
