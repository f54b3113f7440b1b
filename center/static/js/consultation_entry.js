// Quick entry of a consultation, for staff who are interrupted all day: keyboard first.
// - Ctrl+Enter (or Cmd+Enter) saves from anywhere; Enter saves from single-line fields.
// - The organization box suggests organizations (name fragment, pinyin initials, credit code):
//   arrow keys move, Enter picks, Escape closes.
// - Topics: arrow keys move between the checkboxes, space or the digit shown ticks one.
// - While the question is typed, similar answered questions and FAQ entries are listed, and
//   an answer can be copied into the answer field.
// - The new-entry form is kept as a draft in localStorage (per user) across reloads and
//   navigation, and cleared once the consultation is saved.
// Everything from the server is put in the page as text (textContent), never as HTML.
(function () {
  "use strict";

  var DRAFT_DAYS = 3;
  var texts = document.getElementById("entry-texts");

  function text(name, values) {
    var value = texts ? texts.getAttribute("data-" + name) || "" : "";
    Object.keys(values || {}).forEach(function (key) {
      value = value.split("{" + key + "}").join(values[key]);
    });
    return value;
  }

  function debounce(fn, ms) {
    var timer;
    return function () {
      clearTimeout(timer);
      timer = setTimeout(fn, ms);
    };
  }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  // The page after a successful save clears the draft it came from.
  var saved = document.querySelector("[data-draft-saved]");
  if (saved && storage()) {
    storage().removeItem(saved.getAttribute("data-draft-saved"));
  }

  var form = document.getElementById("consultation-form");
  if (!form) { return; }

  // --- submitting ---------------------------------------------------------------------------
  function submit() {
    if (form.requestSubmit) { form.requestSubmit(); } else { form.submit(); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      submit();
    }
  });

  form.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && !event.ctrlKey && !event.metaKey && target.type &&
        (target.type === "checkbox" || target.type === "radio")) {
      event.preventDefault();  // as in a text field: Enter saves
      submit();
    }
  });

  // After a refused save, the first field with a problem gets the focus.
  var firstError = form.querySelector(".has-error input:not([type=hidden]), .has-error textarea");
  if (firstError) { firstError.focus(); }

  // --- topics: one tab stop, arrow keys inside, digits tick --------------------------------
  Array.prototype.forEach.call(form.querySelectorAll("[data-roving]"), function (group) {
    var boxes = Array.prototype.slice.call(group.querySelectorAll("input"));
    function focusAt(index) {
      boxes.forEach(function (box, i) { box.tabIndex = i === index ? 0 : -1; });
      boxes[index].focus();
    }
    boxes.forEach(function (box, i) { box.tabIndex = i === 0 ? 0 : -1; });
    group.addEventListener("keydown", function (event) {
      var index = boxes.indexOf(event.target);
      if (index < 0) { return; }
      var moves = {ArrowRight: 1, ArrowDown: 1, ArrowLeft: -1, ArrowUp: -1};
      if (moves[event.key]) {
        event.preventDefault();
        focusAt((index + moves[event.key] + boxes.length) % boxes.length);
      } else if (/^[0-9]$/.test(event.key) && !event.ctrlKey && !event.altKey && !event.metaKey) {
        var n = event.key === "0" ? 9 : Number(event.key) - 1;
        if (boxes[n]) {
          event.preventDefault();
          boxes[n].checked = !boxes[n].checked;
          boxes[n].dispatchEvent(new Event("change", {bubbles: true}));
          focusAt(n);
        }
      }
    });
  });

  // --- organization suggestions -------------------------------------------------------------
  var box = document.getElementById("organization_q");
  var picked = document.getElementById("organization_id");
  var list = document.getElementById("organization-options");
  var hint = document.getElementById("organization-picked");
  var items = [];
  var active = -1;
  var asked = 0;

  function showPicked(item) {
    hint.textContent = item ? text("picked", {name: item.name + (item.credit_code ? "（" + item.credit_code + "）" : "")})
                            : text("pick-hint");
  }

  function closeList() {
    list.hidden = true;
    box.setAttribute("aria-expanded", "false");
    box.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function highlight(index) {
    active = index;
    Array.prototype.forEach.call(list.children, function (li, i) {
      li.classList.toggle("active", i === index);
      li.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    if (index >= 0 && list.children[index]) {
      box.setAttribute("aria-activedescendant", list.children[index].id);
      list.children[index].scrollIntoView({block: "nearest"});
    }
  }

  function choose(index) {
    var item = items[index];
    if (!item) { return; }
    picked.value = String(item.id);
    box.value = item.name;
    showPicked(item);
    closeList();
    saveDraft();
  }

  function render(found) {
    items = found;
    list.textContent = "";
    if (!found.length) {
      var none = document.createElement("li");
      none.setAttribute("aria-disabled", "true");
      none.textContent = text("no-match");
      list.appendChild(none);
    }
    found.forEach(function (item, i) {
      var li = document.createElement("li");
      li.id = "organization-option-" + i;
      li.setAttribute("role", "option");
      var name = document.createElement("span");
      name.textContent = item.name;
      var code = document.createElement("small");
      code.textContent = item.credit_code || "";
      li.appendChild(name);
      li.appendChild(code);
      li.addEventListener("mousedown", function (event) { event.preventDefault(); });
      li.addEventListener("click", function () { choose(i); });
      list.appendChild(li);
    });
    list.hidden = false;
    box.setAttribute("aria-expanded", "true");
    highlight(-1);
  }

  function suggest() {
    var q = box.value.trim();
    var mine = ++asked;
    if (!q) { closeList(); return; }
    fetch(form.getAttribute("data-suggest-url") + "?q=" + encodeURIComponent(q),
          {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { return r.ok ? r.json() : {items: []}; })
      .then(function (data) {
        if (mine === asked && document.activeElement === box) { render(data.items || []); }
      })
      .catch(function () { /* offline: typing on still works, the server resolves the name */ });
  }

  if (box && picked && list) {
    var suggestSoon = debounce(suggest, 150);
    box.addEventListener("input", function () {
      picked.value = "";  // what is typed no longer names the picked organization
      showPicked(null);
      suggestSoon();
    });
    box.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!open) { suggest(); return; }
        if (!items.length) { return; }
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight(active < 0 ? (step > 0 ? 0 : items.length - 1)
                             : (active + step + items.length) % items.length);
      } else if (event.key === "Enter" && !event.ctrlKey && !event.metaKey && open && items.length) {
        event.preventDefault();  // pick, do not save yet
        choose(active < 0 ? 0 : active);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        closeList();
      } else if (event.key === "Tab") {
        closeList();
      }
    });
    box.addEventListener("blur", function () { setTimeout(closeList, 150); });
  }

  // --- the draft ----------------------------------------------------------------------------
  var draftKey = form.getAttribute("data-draft-key");
  var note = document.getElementById("draft-note");

  function fields() {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.name !== "csrf_token" && el.type !== "submit" && el.type !== "button";
    });
  }

  function collect() {
    var values = {};
    fields().forEach(function (el) {
      if (el.type === "checkbox") {
        values[el.name] = values[el.name] || [];
        if (el.checked) { values[el.name].push(el.value); }
      } else if (el.type === "radio") {
        if (el.checked) { values[el.name] = el.value; }
      } else {
        values[el.name] = el.value;
      }
    });
    return values;
  }

  function isEmpty(values) {
    return !["organization_q", "requester_name", "requester_phone", "question", "answer",
             "minutes", "follow_up_on"].some(function (name) {
      return (values[name] || "").trim();
    }) && !(values.topics || []).length;
  }

  function saveDraft() {
    if (!draftKey || !storage()) { return; }
    var values = collect();
    try {
      if (isEmpty(values)) {
        storage().removeItem(draftKey);
      } else {
        storage().setItem(draftKey, JSON.stringify({savedAt: Date.now(), values: values}));
      }
    } catch (e) { /* storage full or disabled: the form still works */ }
  }

  function apply(values) {
    fields().forEach(function (el) {
      if (!(el.name in values)) { return; }
      var value = values[el.name];
      if (el.type === "checkbox") {
        el.checked = Array.isArray(value) && value.indexOf(el.value) >= 0;
      } else if (el.type === "radio") {
        el.checked = el.value === value;
      } else {
        el.value = value;
      }
    });
    if (picked && picked.value && box) { showPicked({name: box.value}); }
  }

  function restoreDraft() {
    var raw = storage() && storage().getItem(draftKey);
    if (!raw) { return; }
    var draft;
    try { draft = JSON.parse(raw); } catch (e) { draft = null; }
    if (!draft || !draft.values || Date.now() - draft.savedAt > DRAFT_DAYS * 864e5) {
      storage().removeItem(draftKey);
      return;
    }
    apply(draft.values);
    var at = new Date(draft.savedAt);
    var time = ("0" + at.getHours()).slice(-2) + ":" + ("0" + at.getMinutes()).slice(-2);
    note.querySelector("span").textContent = text("restored", {time: time});
    note.hidden = false;
  }

  if (draftKey) {
    if (form.getAttribute("data-fresh") === "1") {
      restoreDraft();
    } else {
      saveDraft();  // a refused save: what was typed is the draft now
    }
    var saveSoon = debounce(saveDraft, 300);
    form.addEventListener("input", saveSoon);
    form.addEventListener("change", saveSoon);
    window.addEventListener("pagehide", saveDraft);
    document.getElementById("draft-discard").addEventListener("click", function () {
      storage() && storage().removeItem(draftKey);
      form.reset();
      fields().forEach(function (el) {
        if (el.type === "hidden" && el.name === "organization_id") { el.value = ""; }
      });
      showPicked(null);
      note.hidden = true;
      if (box) { box.focus(); }
    });
  }

  // --- similar questions and FAQ entries ----------------------------------------------------
  var question = document.getElementById("question");
  var answer = document.getElementById("answer");
  var status = document.getElementById("suggestions-status");
  var results = document.getElementById("suggestion-list");
  var template = document.getElementById("suggestion-template");
  var lastQuery = null;
  var similarAsked = 0;

  function useAnswer(value) {
    if (!answer.value.trim()) {
      answer.value = value;
    } else if (window.confirm(text("replace"))) {
      answer.value = value;
    } else {
      answer.value = answer.value.replace(/\s+$/, "") + "\n\n" + value;
    }
    answer.dispatchEvent(new Event("input", {bubbles: true}));
    answer.focus();
    answer.setSelectionRange(answer.value.length, answer.value.length);
    status.textContent = text("copied");
  }

  function suggestionItem(item, kind) {
    var li = template.content.firstElementChild.cloneNode(true);
    var badge = li.querySelector(".kind");
    badge.textContent = kind === "faq" ? text("faq") : text("past");
    badge.classList.add("kind-" + kind);
    li.querySelector(".q").textContent = item.question;
    li.querySelector(".meta").textContent = [item.occurred_on || ""].concat(item.topics || [])
      .filter(Boolean).join(" · ");
    li.querySelector(".suggestion-a").textContent = item.answer;
    li.querySelector(".use-answer").addEventListener("click", function () { useAnswer(item.answer); });
    var open = li.querySelector(".open");
    if (item.url) { open.href = item.url; } else { open.remove(); }
    return li;
  }

  function showSimilar(data) {
    results.textContent = "";
    var faqs = data.faqs || [];
    var past = data.consultations || [];
    faqs.forEach(function (item) { results.appendChild(suggestionItem(item, "faq")); });
    past.forEach(function (item) { results.appendChild(suggestionItem(item, "consultation")); });
    status.textContent = faqs.length || past.length
      ? text("found", {n: past.length, m: faqs.length}) : text("none");
  }

  function similar() {
    var q = question.value.trim();
    if (q === lastQuery) { return; }
    lastQuery = q;
    var mine = ++similarAsked;
    if (q.length < 3) {
      results.textContent = "";
      status.textContent = text("waiting");
      return;
    }
    var url = form.getAttribute("data-similar-url") + "?q=" + encodeURIComponent(q);
    if (form.getAttribute("data-exclude")) { url += "&exclude=" + form.getAttribute("data-exclude"); }
    fetch(url, {headers: {Accept: "application/json"}, credentials: "same-origin"})
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
      .then(function (data) { if (mine === similarAsked) { showSimilar(data); } })
      .catch(function () { if (mine === similarAsked) { status.textContent = text("failed"); } });
  }

  if (question && answer && results && template) {
    question.addEventListener("input", debounce(similar, 400));
    if (question.value.trim()) { similar(); }
  }
}());
