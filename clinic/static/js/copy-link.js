// Progressive enhancement: a Copy button next to the (always selectable) link field.
(function () {
  var source = document.querySelector("[data-copy-source]");
  var button = document.querySelector("[data-copy-button]");
  var status = document.querySelector("[data-copy-status]");
  if (!source || !button || !navigator.clipboard) { return; }
  button.hidden = false;
  button.addEventListener("click", function () {
    navigator.clipboard.writeText(source.value).then(function () {
      status.textContent = "Link copied.";
    }, function () {
      source.select();
      status.textContent = "Select the link and copy it.";
    });
  });
})();
