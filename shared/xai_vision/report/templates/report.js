(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var cards = document.querySelectorAll("article.entry");
  var records = data.entries.map(function (record, index) {
    return { card: cards[index], status: record.status, text: record.text.toLowerCase() };
  });
  var buttons = document.querySelectorAll(".filters button");
  var search = document.getElementById("search");
  var shown = document.getElementById("shown");
  var noMatch = document.getElementById("no-match");
  var filter = "all";

  function wanted(record, words) {
    if (filter === "answered" && record.status !== "answered") return false;
    if (filter === "failed" && record.status === "answered") return false;
    return words.every(function (word) { return record.text.indexOf(word) !== -1; });
  }

  function apply(remember) {
    var words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    var count = 0;
    records.forEach(function (record) {
      var show = wanted(record, words);
      record.card.hidden = !show;
      if (show) count += 1;
    });
    buttons.forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.dataset.filter === filter));
    });
    shown.textContent = count.toLocaleString("en-US") + " of " + records.length.toLocaleString("en-US") + " shown";
    noMatch.hidden = count !== 0 || records.length === 0;
    if (remember) {
      var state = new URLSearchParams();
      if (filter !== "all") state.set("filter", filter);
      if (search.value) state.set("q", search.value);
      var hash = state.toString();
      history.replaceState(null, "", hash ? "#" + hash : location.pathname + location.search);
    }
  }

  function reveal() {
    var target = /^#line-\d+$/.test(location.hash) && document.getElementById(location.hash.slice(1));
    if (target && target.hidden) {
      filter = "all";
      search.value = "";
      apply(false);
      target.scrollIntoView();
    }
  }

  buttons.forEach(function (button) {
    button.addEventListener("click", function () {
      filter = button.dataset.filter;
      apply(true);
    });
  });
  search.addEventListener("input", function () { apply(true); });
  window.addEventListener("hashchange", reveal);

  var initial = new URLSearchParams(location.hash.slice(1));
  if (["answered", "failed"].indexOf(initial.get("filter")) !== -1) filter = initial.get("filter");
  if (initial.get("q")) search.value = initial.get("q");
  apply(false);
})();
