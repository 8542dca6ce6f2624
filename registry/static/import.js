/* Facility import: upload with a progress bar, then a processing indicator while the server
   checks (preview) or writes (confirm) the rows. Without JavaScript the forms post normally. */
(function () {
  "use strict";

  function show(el, visible) { if (el) { el.classList.toggle("d-none", !visible); } }

  function showErrors(form, messages) {
    var box = form.querySelector(".js-upload-errors");
    if (!box) { return; }
    box.textContent = "";
    messages.forEach(function (message) {
      var div = document.createElement("div");
      div.textContent = message;
      box.appendChild(div);
    });
    show(box, messages.length > 0);
  }

  function processing(form, text) {
    var indicator = form.querySelector(".js-processing");
    if (text) {
      var label = indicator && indicator.querySelector(".js-processing-text");
      if (label) { label.textContent = text; }
    }
    show(indicator, true);
  }

  var upload = document.getElementById("import-upload-form");
  if (upload && window.FormData && window.XMLHttpRequest) {
    upload.addEventListener("submit", function (event) {
      var input = upload.querySelector("input[type=file]");
      var file = input && input.files && input.files[0];
      if (!file) { return; }  // let the server say a file is needed
      event.preventDefault();
      var max = parseInt(upload.dataset.maxBytes, 10);
      if (max && file.size > max) {
        showErrors(upload, [upload.dataset.msgTooLarge]);
        return;
      }
      showErrors(upload, []);
      var button = upload.querySelector("[type=submit]");
      if (button) { button.disabled = true; }
      var progress = upload.querySelector(".js-upload-progress");
      var bar = progress.querySelector(".progress-bar");
      var percent = progress.querySelector(".js-upload-percent");
      var meter = progress.querySelector("[role=progressbar]");
      show(progress, true);

      var xhr = new XMLHttpRequest();
      xhr.open("POST", upload.getAttribute("action") || window.location.href);
      xhr.setRequestHeader("X-Requested-With", "XMLHttpRequest");
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (!e.lengthComputable) { return; }
        var value = Math.round((e.loaded / e.total) * 100);
        bar.style.width = value + "%";
        percent.textContent = value + "%";
        meter.setAttribute("aria-valuenow", String(value));
      });
      xhr.upload.addEventListener("load", function () {
        show(progress, false);
        processing(upload);
      });
      xhr.addEventListener("load", function () {
        var data = null;
        try { data = JSON.parse(xhr.responseText); } catch (ignore) { data = null; }
        if (xhr.status === 200 && data && data.redirect) {
          // The preview validates every row; the indicator stays until it arrives.
          processing(upload, upload.dataset.msgChecking);
          window.location.assign(data.redirect);
          return;
        }
        show(progress, false);
        show(upload.querySelector(".js-processing"), false);
        if (button) { button.disabled = false; }
        if (xhr.status === 413) {
          showErrors(upload, [upload.dataset.msgTooLarge]);
        } else if (data && data.errors) {
          showErrors(upload, data.errors);
        } else {
          showErrors(upload, [upload.dataset.msgFailed]);
        }
      });
      xhr.addEventListener("error", function () {
        show(progress, false);
        show(upload.querySelector(".js-processing"), false);
        if (button) { button.disabled = false; }
        showErrors(upload, [upload.dataset.msgFailed]);
      });
      xhr.send(new FormData(upload));
    });
  }

  document.querySelectorAll("form.js-processing-form").forEach(function (form) {
    form.addEventListener("submit", function () {
      processing(form);
      var button = form.querySelector("[type=submit]");
      // Disable after the submit has been dispatched, so the click still posts the form.
      if (button) { window.setTimeout(function () { button.disabled = true; }, 0); }
    });
  });
}());
