// The case page, enhanced. Everything works without this file.
// - After a refusal the message takes the focus (a screen reader says it at once).
// - A booking's interpreter tick brings the free times for a visit with or without an interpreter at once
//   (GET /cases/{id}/slots?event=…&interpreter=yes|no, put in the tick's list); without the script the
//   form's "Visa tiderna" button, or the link beside the times, shows them.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var problem = document.getElementById("problem");
  if (problem) {
    problem.focus();
  }
  if (!window.fetch) {
    return;
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[data-slots]"), function (tick) {
    var list = document.getElementById(tick.getAttribute("aria-controls"));
    var status = document.getElementById(tick.dataset.status);
    var button = tick.form ? tick.form.querySelector('button[name="show"]') : null;
    var asked = 0;
    if (!list || !status) {
      return;
    }
    if (button) {  // the times follow the tick: the button is not needed (nor Enter's first button)
      button.parentNode.parentNode.removeChild(button.parentNode);
    }
    tick.addEventListener("change", function () {
      var need = tick.checked ? "yes" : "no";
      var mine = ++asked;
      var address = tick.dataset.slots + "&interpreter=" + need;
      fetch(address, {credentials: "same-origin", headers: {"Accept": "text/html"}})
        .then(function (answer) {
          if (answer.redirected || !answer.ok) {  // signed out, or no longer to book: the whole page
            window.location.assign(window.location.pathname + "?interpreter=" + need);
            return null;
          }
          return answer.text();
        })
        .then(function (html) {
          if (html !== null && mine === asked) {  // only the answer to the latest change
            list.innerHTML = html;
            status.textContent = tick.checked ? tick.dataset.with : tick.dataset.without;
          }
        })
        .catch(function () {
          window.location.assign(window.location.pathname + "?interpreter=" + need);
        });
    });
  });
});
