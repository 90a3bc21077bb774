// QR landing: the code after "#" never reaches the server. Move it into the form, drop it from
// the address bar and history, and post it. Without JavaScript the employee types the code.
(function () {
  var code = decodeURIComponent(window.location.hash.slice(1));
  if (!code) { return; }
  history.replaceState(null, "", window.location.pathname);
  var input = document.getElementById("code");
  var form = document.getElementById("code-form");
  if (!input || !form) { return; }
  input.value = code;
  form.submit();
})();
