// The case page, enhanced: after a refusal the message takes the focus (a screen reader says it at once).
// Everything works without this file.
document.addEventListener("DOMContentLoaded", function () {
  var problem = document.getElementById("problem");
  if (problem) {
    problem.focus();
  }
});
