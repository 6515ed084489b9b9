// Keeps a campaign dashboard current without reloading: polls its stats.json and updates numbers and bars in place.
// Loaded as a file (no inline script), so a strict Content-Security-Policy can forbid inline code.
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  if (!root || !window.fetch) {
    return;
  }
  var url = root.getAttribute("data-stats-url");
  var interval = Number(root.getAttribute("data-interval")) || 5000;
  var failures = 0;
  var timer = null;

  function setText(element, text) {
    if (element && element.textContent !== String(text)) {
      element.textContent = text;
    }
  }

  function find(scope, attribute, value) {
    var found = null;
    scope.querySelectorAll("[" + attribute + "]").forEach(function (element) {
      if (element.getAttribute(attribute) === value) {
        found = element;
      }
    });
    return found;
  }

  function updateBar(svg, bar) {
    var group = find(svg, "data-key", bar.key);
    if (!group) {
      return;
    }
    var rect = group.querySelector("rect.bar");
    var length = bar.share * Number(svg.getAttribute("data-scale"));
    if (svg.getAttribute("data-orient") === "v") {
      rect.setAttribute("height", length.toFixed(1));
      rect.setAttribute("y", (Number(svg.getAttribute("data-base")) - length).toFixed(1));
    } else {
      rect.setAttribute("width", length.toFixed(1));
    }
    group.setAttribute("data-value", bar.value);
    group.setAttribute("aria-label", bar.title);
    setText(group.querySelector("title"), bar.title);
    setText(group.querySelector("text.value"), bar.text);
  }

  function apply(stats) {
    Object.keys(stats.charts).forEach(function (name) {
      var svg = find(root, "data-chart", name);
      if (svg) {
        stats.charts[name].forEach(function (bar) { updateBar(svg, bar); });
      }
    });
    Object.keys(stats.numbers).forEach(function (key) {
      root.querySelectorAll("[data-stat]").forEach(function (element) {
        if (element.getAttribute("data-stat") === key) {
          setText(element, stats.numbers[key]);
        }
      });
    });
    var badge = root.querySelector("[data-status]");
    if (badge) {
      badge.setAttribute("class", "badge " + stats.status);
      setText(badge, stats.status_text);
    }
    // A running campaign changes by the second; otherwise only the agents' work moves the numbers.
    interval = stats.status === "running" ? 5000 : 30000;
  }

  function schedule(delay) {
    clearTimeout(timer);
    timer = setTimeout(poll, delay);
  }

  function poll() {
    if (document.hidden) {
      return; // resumed by visibilitychange
    }
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (response) {
        if (!response.ok || (response.headers.get("Content-Type") || "").indexOf("application/json") !== 0) {
          throw new Error("stats " + response.status);
        }
        return response.json();
      })
      .then(function (stats) {
        failures = 0;
        root.classList.remove("stale");
        apply(stats);
        schedule(interval);
      })
      .catch(function () {
        // Signed out, offline or a server error: show the numbers as stale and back off, up to a minute.
        failures += 1;
        root.classList.add("stale");
        schedule(Math.min(60000, interval * Math.pow(2, failures)));
      });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) {
      schedule(0);
    }
  });
  schedule(interval);
})();
