// Ask page: show the best matching questions while the person types. Without JavaScript the
// form still works: it submits and the server renders the same results.
(function () {
  "use strict";
  var form = document.querySelector("form.ask[data-live]");
  if (!form || !window.fetch) { return; }
  var box = form.querySelector("textarea[name=q]");
  var results = document.getElementById("results");
  var timer = null, controller = null, last = box.value.trim();

  function show(text) {
    if (controller) { controller.abort(); }
    controller = window.AbortController ? new AbortController() : null;
    var url = "/ask/matches?q=" + encodeURIComponent(text);
    fetch(url, { signal: controller ? controller.signal : undefined, headers: { "Accept": "text/html" } })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) {
        results.innerHTML = html;  // server-rendered and escaped, the same partial the page uses
        results.setAttribute("data-query", text);
        history.replaceState(null, "", text ? "/ask?q=" + encodeURIComponent(text) : "/ask");
      })
      .catch(function () { /* a newer request replaced this one */ });
  }

  box.addEventListener("input", function () {
    var text = box.value.trim();
    if (text === last) { return; }
    last = text;
    clearTimeout(timer);
    timer = setTimeout(function () { show(text); }, 250);
  });
})();
