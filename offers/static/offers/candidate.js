// The candidate's offer page: the countdown to the deadline, and one submission per answer.
(function () {
  "use strict";
  var countdown = document.querySelector(".countdown[data-deadline]");
  if (countdown) {
    var deadline = Date.parse(countdown.getAttribute("data-deadline"));
    var tick = function () {
      var left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
      if (left === 0) {
        countdown.textContent = "The deadline has passed.";
        return;
      }
      var days = Math.floor(left / 86400);
      var hours = Math.floor((left % 86400) / 3600);
      var minutes = Math.floor((left % 3600) / 60);
      var parts = [];
      if (days) parts.push(days + (days === 1 ? " day" : " days"));
      if (days || hours) parts.push(hours + (hours === 1 ? " hour" : " hours"));
      parts.push(minutes + (minutes === 1 ? " minute" : " minutes"));
      countdown.textContent = parts.join(", ") + " left";
      window.setTimeout(tick, 30000);
    };
    tick();
  }
  // A second click while the first is on its way would be refused by the server anyway; the
  // button says it is working instead.
  document.querySelectorAll("form.answer").forEach(function (form) {
    form.addEventListener("submit", function () {
      form.querySelectorAll("button[type=submit]").forEach(function (button) {
        window.setTimeout(function () {
          button.disabled = true;
          button.textContent = "Sending…";
        }, 0);
      });
    });
  });
})();
