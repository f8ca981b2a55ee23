// The region's overview refreshing itself: every minute the content of #overview is fetched again
// (/region/now) and put in place; a polite status says when; a button pauses and resumes it.
// While the figures are being counted it asks every three seconds. Without this script the page has a
// link that refreshes it.
(function () {
  "use strict";
  var box = document.getElementById("overview");
  var controls = document.getElementById("overview-controls");
  var status = document.getElementById("overview-status");
  if (!box || !controls || !status || !window.fetch) {
    return;
  }
  var EVERY = 60000;
  var SOON = 3000;  // while the figures are being counted (#overview-working): asked for again this soon
  var paused = false;
  var button = document.createElement("button");
  button.type = "button";
  button.id = "overview-pause";
  button.textContent = controls.dataset.pause;
  controls.insertBefore(button, status);
  var note = document.createElement("p");
  note.className = "hint";
  note.textContent = controls.dataset.auto;
  controls.insertBefore(note, controls.firstChild);

  function clock() {
    var now = new Date();
    return ("0" + now.getHours()).slice(-2) + ":" + ("0" + now.getMinutes()).slice(-2);
  }

  function load() {
    fetch("/region/now", {credentials: "same-origin", headers: {"Accept": "text/html"}})
      .then(function (answer) {
        if (answer.redirected || !answer.ok) {  // signed out meanwhile, or refused: the whole page again
          window.location.reload();
          return null;
        }
        return answer.text();
      })
      .then(function (html) {
        if (html !== null && !paused) {
          box.innerHTML = html;
          status.textContent = controls.dataset.updated + " " + clock();
          counting();
        }
      })
      .catch(function () { /* the network: try again at the next minute */ });
  }

  function counting() {
    if (document.getElementById("overview-working")) {
      window.setTimeout(function () {
        if (!paused) {
          load();
        }
      }, SOON);
    }
  }

  button.addEventListener("click", function () {
    paused = !paused;
    button.textContent = paused ? controls.dataset.resume : controls.dataset.pause;
    status.textContent = paused ? controls.dataset.paused : "";
  });
  window.setInterval(function () {
    if (!paused && !document.hidden) {
      load();
    }
  }, EVERY);
  counting();
}());

// The § 10 report being computed: the page asks again every three seconds until the figures are there.
(function () {
  "use strict";
  var working = document.getElementById("report-working");
  if (working) {
    window.setTimeout(function () { window.location.replace(working.dataset.again); }, 3000);
  }
}());
