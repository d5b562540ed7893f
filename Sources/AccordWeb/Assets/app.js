// Accord's page script: live updates through Server-Sent Events, and form conveniences. The page works without
// it; nothing here is needed to read or to record.
(function () {
  "use strict";

  // Offer only the stages the template allows next for the chosen country, and the details the stage takes.
  function setUpStepForm() {
    var party = document.getElementById("step-party");
    var stage = document.getElementById("step-stage");
    if (!party || !stage) { return; }
    var all = Array.prototype.slice.call(stage.options).map(function (o) {
      return { value: o.value, label: o.textContent, kind: o.getAttribute("data-kind") };
    });
    function showDetails() {
      var selected = stage.options[stage.selectedIndex];
      var kind = selected ? selected.getAttribute("data-kind") : "plain";
      document.querySelectorAll("fieldset.details").forEach(function (set) {
        set.hidden = set.getAttribute("data-kind") !== kind;
      });
    }
    function filterStages() {
      var option = party.options[party.selectedIndex];
      var allowed = option ? (option.getAttribute("data-next") || "").split(" ").filter(Boolean) : [];
      var current = stage.value;
      stage.innerHTML = "";
      all.forEach(function (s) {
        if (allowed.indexOf(s.value) === -1) { return; }
        var o = document.createElement("option");
        o.value = s.value; o.textContent = s.label; o.setAttribute("data-kind", s.kind);
        if (s.value === current) { o.selected = true; }
        stage.appendChild(o);
      });
      if (stage.options.length === 0) {
        var none = document.createElement("option");
        none.value = ""; none.textContent = "No further step for this country"; none.disabled = true;
        stage.appendChild(none);
      }
      showDetails();
    }
    party.addEventListener("change", filterStages);
    stage.addEventListener("change", showDetails);
    filterStages();
  }

  // Replace the live regions with the server's current rendering when anything is recorded.
  function setUpLiveUpdates() {
    var article = document.querySelector("[data-live-url]");
    if (!article || !window.EventSource || !window.fetch || !window.DOMParser) { return; }
    var status = document.getElementById("live-status");
    var scheduled = null;
    function refresh() {
      scheduled = null;
      fetch(window.location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html");
          var changed = 0;
          document.querySelectorAll("[data-live-region]").forEach(function (region) {
            var name = region.getAttribute("data-live-region");
            var next = fresh.querySelector('[data-live-region="' + name + '"]');
            // Never pull the ground from under someone typing or reading a tooltip.
            if (!next || region.contains(document.activeElement) || region.innerHTML === next.innerHTML) { return; }
            region.innerHTML = next.innerHTML;
            changed += 1;
          });
          if (changed > 0 && status) {
            status.textContent = "Updated at " + new Date().toLocaleTimeString() + ".";
          }
        })
        .catch(function () { /* the next event retries */ });
    }
    var source = new EventSource(article.getAttribute("data-live-url"));
    function onEvent() {
      if (scheduled === null) { scheduled = window.setTimeout(refresh, 150); }
    }
    source.onmessage = onEvent;
    // The stream names each event by its notification type (docs/notifications.md).
    ["rule.satisfied", "rule.lost", "rule.failed", "process.opened", "process.closed", "step.recorded",
     "ballot.cast", "ballot.withdrawn", "entry.corrected", "entry.retracted", "deadline.approaching", "deadline.passed", "approval.expiring",
     "approval.expired"].forEach(function (name) {
      source.addEventListener(name, onEvent);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpStepForm();
    setUpLiveUpdates();
  });
})();
