// "I'm here" (外勤签到): the position is asked for only when the rep taps, and only kept if the form is saved.
(function () {
  "use strict";
  var box = document.querySelector("[data-checkin]");
  if (!box) return;
  var button = box.querySelector("button");
  var status = box.querySelector("[role=status]");
  var method = document.getElementById("id_method");
  var field = function (name) { return box.querySelector("input[name=" + name + "]"); };

  function showForMethod() {
    var applies = !method || box.dataset.methods.split(" ").indexOf(method.value) !== -1;
    box.hidden = !applies;
  }
  if (method) method.addEventListener("change", showForMethod);
  showForMethod();

  button.addEventListener("click", function () {
    if (!navigator.geolocation) { status.textContent = box.dataset.unavailable; return; }
    status.textContent = box.dataset.waiting;
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(function (position) {
      field("checkin_lat").value = position.coords.latitude.toFixed(6);
      field("checkin_lng").value = position.coords.longitude.toFixed(6);
      field("checkin_accuracy").value = Math.round(position.coords.accuracy);
      field("checkin_at").value = new Date(position.timestamp || Date.now()).toISOString();
      status.textContent = box.dataset.done + " (±" + Math.round(position.coords.accuracy) + " m)";
      button.disabled = false;
    }, function () {
      status.textContent = box.dataset.failed;
      button.disabled = false;
    }, {enableHighAccuracy: true, timeout: 20000, maximumAge: 60000});
  });
})();
