// The arrival notice's form (/register): identity numbers and dates checked as they are typed, as
// screening/identity.py and screening/clock.py check them; the message in the field's live region
// (aria-live). Progressive enhancement only: the server checks every field again.
"use strict";

(function () {
  var form = document.querySelector("form.register");
  if (!form) {
    return;
  }
  var said = form.dataset;
  var NUMBER = /^([0-9]{6}|[0-9]{8})([-+]?)([0-9]{4})$/;
  var DOSSIER = /^([0-9]{2})-?([0-9]{6})$/;
  var DATE = /^([0-9]{4})-([0-9]{2})-([0-9]{2})$/;
  var TIME = /^([0-9]{4}-[0-9]{2}-[0-9]{2})(?:[T ]([0-9]{2}):([0-9]{2})(?::[0-9]{2})?)?$/;

  function today() {
    var now = new Date();
    return new Date(now.getFullYear(), now.getMonth(), now.getDate());
  }

  function realDate(year, month, day) {
    var made = new Date(year, month - 1, day);
    return made.getFullYear() === year && made.getMonth() === month - 1 && made.getDate() === day ? made : null;
  }

  function luhn(nine) {
    var total = 0;
    for (var i = 0; i < nine.length; i++) {
      var product = Number(nine[i]) * (i % 2 === 0 ? 2 : 1);
      total += Math.floor(product / 10) + (product % 10);
    }
    return (10 - (total % 10)) % 10;
  }

  function birthDate() {
    var field = document.getElementById("birth_date");
    var match = field && DATE.exec(field.value.trim());
    return match ? realDate(Number(match[1]), Number(match[2]), Number(match[3])) : null;
  }

  // A personnummer or samordningsnummer: the message of what is wrong, or "" when it looks right.
  function identity(text, coordination) {
    var match = NUMBER.exec(text);
    if (!match) {
      return said.digits;
    }
    var head = match[1], separator = match[2], short = head.slice(-6) + match[3];
    var month = Number(short.slice(2, 4)), day = Number(short.slice(4, 6));
    if (month < 1 || month > 12) {
      return said.month;
    }
    var isCoordination = day > 60, realDay = isCoordination ? day - 60 : day;
    if (realDay < 1 || realDay > 31) {
      return said.day;
    }
    if (luhn(short.slice(0, 9)) !== Number(short[9])) {
      return said.checkDigit;
    }
    if (isCoordination && !coordination) {
      return said.coordination;
    }
    if (coordination && !isCoordination) {
      return said.notCoordination;
    }
    var now = today(), year;
    if (head.length === 8) {
      year = Number(head.slice(0, 4));
    } else {
      var yy = Number(head.slice(0, 2));
      year = now.getFullYear() - ((now.getFullYear() - yy) % 100 + 100) % 100;
      if (separator === "+") {
        year -= 100;
      }
    }
    var born = realDate(year, month, realDay);
    if (!born) {
      return said.day;
    }
    if (born > now) {
      return said.future;
    }
    var given = birthDate();
    if (given && given.getTime() !== born.getTime()) {
      return said.birth;
    }
    return "";
  }

  function day(text) {
    var match = DATE.exec(text);
    var value = match && realDate(Number(match[1]), Number(match[2]), Number(match[3]));
    if (!value) {
      return said.date;
    }
    return value > today() ? said.future : "";
  }

  function time(text) {
    var match = TIME.exec(text);
    if (!match || day(match[1]) === said.date) {
      return said.date;
    }
    if (match[2] !== undefined && (Number(match[2]) > 23 || Number(match[3]) > 59)) {
      return said.date;
    }
    return "";
  }

  var CHECKS = {
    birth: day,
    date: day,
    time: time,
    dossier: function (text) { return DOSSIER.test(text) ? "" : said.dossier; },
    personnummer: function (text) { return identity(text, false); },
    samordningsnummer: function (text) { return identity(text, true); }
  };
  var COMPLETE = {birth: 10, date: 10, time: 10, dossier: 8, personnummer: 10, samordningsnummer: 10};

  function show(field, finished) {
    var kind = field.dataset.check, text = field.value.trim();
    var out = document.getElementById(field.id + "-check");
    if (!out) {
      return;
    }
    var problem = text ? CHECKS[kind](text) : "";
    // while typing, wait until the value could be whole; on leaving the field, say it anyway
    if (!finished && problem && text.replace(/[^0-9]/g, "").length < COMPLETE[kind] && !/[^0-9+\- T:]/.test(text)) {
      problem = "";
    }
    out.textContent = problem || (text && (kind === "personnummer" || kind === "samordningsnummer") ? said.ok : "");
    out.className = problem ? "check error" : "check";
    var described = (field.getAttribute("aria-describedby") || "").split(" ").filter(function (id) {
      return id && id !== out.id;
    });
    if (problem) {
      described.push(out.id);
      field.setAttribute("aria-invalid", "true");
    } else if (!document.getElementById(field.id + "-error")) {
      field.removeAttribute("aria-invalid");
    }
    if (described.length) {
      field.setAttribute("aria-describedby", described.join(" "));
    } else {
      field.removeAttribute("aria-describedby");
    }
  }

  var fields = form.querySelectorAll("[data-check]");
  Array.prototype.forEach.call(fields, function (field) {
    field.addEventListener("input", function () { show(field, false); });
    field.addEventListener("blur", function () { show(field, true); });
  });
  var born = document.getElementById("birth_date");
  if (born) {  // a number is checked against the birth date: again when the date changes
    born.addEventListener("change", function () {
      ["personnummer", "samordningsnummer"].forEach(function (id) {
        var field = document.getElementById(id);
        if (field && field.value.trim()) {
          show(field, true);
        }
      });
    });
  }
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
}());
