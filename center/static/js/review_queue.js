// The queue's bulk form: "select all on this page" and a count of the ticked rows.
// Without this file every checkbox still works one by one.
(function () {
  var form = document.getElementById("queue-bulk");
  if (!form) { return; }
  var all = form.querySelector("[data-select-all]");
  var count = form.querySelector("[data-selected-count]");
  function rows() { return form.querySelectorAll("input[name=ids]"); }
  function update() {
    var ticked = form.querySelectorAll("input[name=ids]:checked").length;
    if (count) { count.textContent = ticked ? "(" + ticked + ")" : ""; }
    if (all) {
      all.checked = ticked > 0 && ticked === rows().length;
      all.indeterminate = ticked > 0 && ticked < rows().length;
    }
  }
  if (all) {
    all.addEventListener("change", function () {
      rows().forEach(function (box) { box.checked = all.checked; });
      update();
    });
  }
  form.addEventListener("change", function (event) {
    if (event.target.name === "ids") { update(); }
  });
  update();
}());
