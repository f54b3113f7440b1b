// Pre-review pages: organization suggestions at intake, attachment checks before sending,
// printing the receipt, and keeping the reviewer's unsent checklist through interruptions.
// Every page works without this file; the server checks everything again.
(function () {
  "use strict";

  // --- organization suggestions (input[data-suggest] with a <datalist>) -----------------------
  function suggest(input) {
    var list = document.getElementById(input.getAttribute("list"));
    var picked = document.getElementById(input.getAttribute("data-picked"));
    var names = {};
    var timer = null;
    var asked = "";

    function show() {
      var code = input.value.trim().toUpperCase();
      if (picked && names[code]) {
        picked.textContent = "\u7ec4\u7ec7\uff1a" + names[code];  // 组织：
      }
    }

    function fetchSuggestions() {
      var q = input.value.trim();
      if (!q || q === asked || names[q.toUpperCase()]) { return; }
      asked = q;
      fetch(input.getAttribute("data-suggest") + "?q=" + encodeURIComponent(q),
            {credentials: "same-origin", headers: {"Accept": "application/json"}})
        .then(function (response) { return response.ok ? response.json() : {items: []}; })
        .then(function (data) {
          if (q !== input.value.trim()) { return; }  // typed on meanwhile
          list.textContent = "";
          (data.items || []).forEach(function (item) {
            var option = document.createElement("option");
            option.value = item.credit_code;
            option.label = item.name;
            option.textContent = item.name;
            list.appendChild(option);
            names[item.credit_code] = item.name;
          });
          show();
        })
        .catch(function () { /* offline: typing the code still works */ });
    }

    input.addEventListener("input", function () {
      if (picked) { picked.textContent = ""; }
      show();
      clearTimeout(timer);
      timer = setTimeout(fetchSuggestions, 200);
    });
  }

  // --- attachments (input[type=file][data-max-bytes]) ------------------------------------------
  function sizeText(bytes) {
    return bytes >= 1048576 ? (bytes / 1048576).toFixed(1) + " MB"
      : Math.max(1, Math.round(bytes / 1024)) + " KB";
  }

  function fileProblems(input) {
    var maxBytes = Number(input.getAttribute("data-max-bytes"));
    var maxFiles = Number(input.getAttribute("data-max-files"));
    var maxTotal = Number(input.getAttribute("data-max-total"));
    var problems = [];
    var total = 0;
    Array.prototype.forEach.call(input.files, function (file) {
      var name = file.name.toLowerCase();
      total += file.size;
      if (!/\.(pdf|xlsx)$/.test(name)) {
        problems.push("\u201c" + file.name + "\u201d\uff1a\u53ea\u80fd\u4e0a\u4f20 PDF \u6216 .xlsx");
      } else if (file.size === 0) {
        problems.push("\u201c" + file.name + "\u201d\uff1a\u6587\u4ef6\u662f\u7a7a\u7684");
      } else if (maxBytes && file.size > maxBytes) {
        problems.push("\u201c" + file.name + "\u201d\uff1a" + sizeText(file.size) +
                      "\uff0c\u8d85\u8fc7\u4e0a\u9650 " + sizeText(maxBytes));
      }
    });
    if (maxFiles && input.files.length > maxFiles) {
      problems.push("\u6700\u591a " + maxFiles + " \u4e2a\u6587\u4ef6");
    }
    if (maxTotal && total > maxTotal) {
      problems.push("\u5408\u8ba1 " + sizeText(total) + "\uff0c\u4e00\u6b21\u4e0d\u80fd\u8d85\u8fc7 " +
                    sizeText(maxTotal) + "\uff0c\u8bf7\u5206\u51e0\u6b21\u4e0a\u4f20");
    }
    return problems;
  }

  function checkFiles(input) {
    var box = document.querySelector("[data-files-for='" + input.id + "']");
    var problems = fileProblems(input);
    if (box) {
      box.textContent = problems.join("\uff1b");
      box.hidden = problems.length === 0;
    }
    return problems.length === 0;
  }

  function guardFiles(input) {
    input.addEventListener("change", function () { checkFiles(input); });
    input.form.addEventListener("submit", function (event) {
      if (!checkFiles(input)) {
        event.preventDefault();
        input.focus();
      }
    });
  }

  // --- the reviewer's unsent checklist and comment, kept in this browser ----------------------
  function keepDraft(form) {
    var key = form.getAttribute("data-draft-key");
    var boxes = form.querySelectorAll("input[name=reasons]");
    var comment = form.querySelector("textarea[name=comment]");
    var store;
    try { store = window.localStorage; } catch (error) { return; }
    if (!store) { return; }
    var saved = null;
    try { saved = JSON.parse(store.getItem(key) || "null"); } catch (error) { saved = null; }
    var untouched = !comment.value && !form.querySelector("input[name=reasons]:checked");
    if (saved && untouched) {  // the server's values (a refused submit) win over the draft
      Array.prototype.forEach.call(boxes, function (box) {
        box.checked = saved.reasons.indexOf(box.value) >= 0;
      });
      comment.value = saved.comment || "";
    }
    function save() {
      var reasons = Array.prototype.filter.call(boxes, function (box) { return box.checked; })
        .map(function (box) { return box.value; });
      if (reasons.length || comment.value) {
        store.setItem(key, JSON.stringify({reasons: reasons, comment: comment.value}));
      } else {
        store.removeItem(key);
      }
    }
    form.addEventListener("change", save);
    comment.addEventListener("input", save);
    form.addEventListener("submit", function () { store.removeItem(key); });
  }

  document.querySelectorAll("input[data-suggest]").forEach(suggest);
  document.querySelectorAll("input[type=file][data-max-bytes]").forEach(guardFiles);
  document.querySelectorAll("form[data-draft-key]").forEach(keepDraft);
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
}());
