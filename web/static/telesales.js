// The telesales lead page: keep the lead's lease while the page is open, and ask for a time on a follow-up.
// Loaded as a file (no inline script) so that a Content-Security-Policy without 'unsafe-inline' allows it.
(function () {
  "use strict";

  var box = document.getElementById("lease");
  if (box) {
    var url = box.getAttribute("data-lease-url");
    var token = box.getAttribute("data-csrf-token");
    var every = (parseInt(box.getAttribute("data-renew-seconds"), 10) || 300) * 1000;
    var until = box.querySelector("[data-lease-until]");
    var lost = box.querySelector("[data-lease-lost]");
    var timer = null;

    var gone = function () {
      // The server refused (another agent has it, it was disposed, or we were signed out): say so, stop asking.
      lost.hidden = false;
      if (timer !== null) {
        window.clearInterval(timer);
        timer = null;
      }
    };

    var renew = function () {
      if (timer === null) {
        return;
      }
      window.fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": token, "Accept": "application/json" },
      }).then(function (response) {
        var json = (response.headers.get("Content-Type") || "").indexOf("application/json") === 0;
        if (!json) {
          gone();  // a redirect to the sign-in page, not our answer
          return null;
        }
        return response.json().then(function (body) {
          if (response.ok && body.held) {
            until.textContent = body.until_local;
          } else {
            gone();
          }
        });
      }).catch(function () {
        // The network blinked: the next tick tries again, well before the lease runs out.
      });
    };

    timer = window.setInterval(renew, every);
    // A laptop waking up or a tab coming back: renew at once rather than at the next tick.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible") {
        renew();
      }
    });
  }

  var form = document.getElementById("disposition");
  if (form) {
    var time = form.querySelector("[data-follow-up-time]");
    form.addEventListener("change", function (event) {
      if (event.target.name === "disposition") {
        time.required = event.target.value === "follow_up";
      }
    });
  }
})();
