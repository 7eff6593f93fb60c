// ctdata case pages: the little behaviour HTMX does not give us.
// - keep the case tabs' aria-selected in step with the loaded panel;
// - after a tab or form swaps the panel, move focus to it so keyboard and
//   screen-reader users land on the new content;
// - show a plain message when the server cannot be reached;
// - the language switch comes back to the address shown, which a tab opened in the page has changed.
(function () {
  "use strict";

  // the page's words for what the script writes (pages/_js_words.html), in the page's language
  function words() {
    var el = document.getElementById("js-words");
    try { return el ? JSON.parse(el.textContent) : {}; } catch (e) { return {}; }
  }

  function selectTab(link) {
    var list = link.closest("[role=tablist]");
    if (!list) return;
    list.querySelectorAll("[role=tab]").forEach(function (tab) {
      tab.setAttribute("aria-selected", tab === link ? "true" : "false");
    });
    var panel = document.getElementById("tab-panel");
    if (panel) panel.setAttribute("aria-labelledby", link.id);
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[role=tab]");
    if (link) selectTab(link);
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail && event.detail.target;
    if (target && target.id === "tab-panel") {
      var bad = target.querySelector("[aria-invalid=true]");
      if (bad) { bad.focus(); return; }  // a refused form: the first field to correct
      var alert = target.querySelector("[role=alert]");
      (alert || target).setAttribute("tabindex", "-1");
      (alert || target).focus({ preventScroll: !alert });
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("language-switch")) return;
    var next = form.querySelector("input[name=next]");
    if (next) next.value = window.location.pathname + window.location.search;
  });

  document.addEventListener("htmx:sendError", function () {
    var main = document.getElementById("main");
    if (!main || document.getElementById("offline-msg")) return;
    var div = document.createElement("div");
    div.id = "offline-msg";
    div.className = "msg msg-bad";
    div.setAttribute("role", "alert");
    div.textContent = words().server_unreachable ||
      "The server could not be reached. Check the connection and try again; nothing was saved.";
    main.insertBefore(div, main.firstChild);
  });
})();
