// Progressive enhancement of the program page (/p/): without JavaScript nothing here runs and
// the page works as a plain form.
// - A service worker (/p/sw.js) keeps the page for the gym without signal.
// - A session logged with no signal waits on this phone (localStorage) with its own
//   idempotency key (submission_key, unique per program on the server), and is sent when the
//   phone is back online: however often it is retried, one session is stored.
// - Sending uses a fresh form token read from the page at that moment (the one in a page kept
//   offline may be stale). If this browser no longer holds the program link (its session
//   cookie is gone), the log stays waiting and the page asks to open the link again.
// - A log the server cannot take as it is (a mistake, a second entry for the day) is put back
//   into the form and sent the ordinary way, so the page shows the question or the errors.
(function () {
  "use strict";
  var script = document.currentScript;
  var form = document.getElementById("session-form");
  var status = document.getElementById("offline-status");
  var QUEUE = "liftclinic.program.queue";
  var CACHE = "liftclinic-program-v1";
  var PAGE = "/p/";
  var sending = false;

  function say(text, action) {
    if (!status) { return; }
    status.textContent = text || "";
    if (action) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "secondary";
      button.textContent = action.label;
      button.addEventListener("click", action.run);
      status.appendChild(document.createTextNode(" "));
      status.appendChild(button);
    }
    status.hidden = !text;
  }

  function waiting() {
    try { return JSON.parse(localStorage.getItem(QUEUE)) || []; } catch (e) { return []; }
  }

  function keep(items) {
    if (items.length) { localStorage.setItem(QUEUE, JSON.stringify(items)); }
    else { localStorage.removeItem(QUEUE); }
  }

  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) {
      return ("0" + b.toString(16)).slice(-2);
    }).join("");
  }

  function dayOf(item) {
    var pair = item.fields.filter(function (f) { return f[0] === "performed_on"; })[0];
    var day = pair && /^\d{4}-\d{2}-\d{2}$/.test(pair[1]) ? new Date(pair[1] + "T12:00:00") : null;
    return day ? day.toLocaleDateString("en-GB", {day: "numeric", month: "long"}) : "";
  }

  // The form's fields, with a key of its own: a page kept offline may hold a key already used.
  function queueForm() {
    var fields = [];
    new FormData(form).forEach(function (value, name) {
      if (name !== "csrf_token") { fields.push([name, name === "submission_key" ? newKey() : value]); }
    });
    var items = waiting();
    items.push({fields: fields, at: new Date().toISOString()});
    keep(items);
    form.reset();
    say("No signal: your session (" + dayOf(items[items.length - 1]) + ") is kept on this " +
        "phone. It will be sent when you are back online; you can close this page.");
    window.scrollTo(0, 0);
  }

  // A valid form token for this browser's program link now, or null (the link is not held).
  function freshToken() {
    return fetch(PAGE, {credentials: "same-origin", cache: "no-store"}).then(function (response) {
      if (!response.ok) { return null; }
      return response.text().then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        var input = page.querySelector("#session-form input[name=csrf_token]");
        return input ? input.value : null;
      });
    });
  }

  function post(item, token) {
    var body = new URLSearchParams();
    item.fields.forEach(function (f) { body.append(f[0], f[1]); });
    body.set("csrf_token", token);
    return fetch(PAGE, {method: "POST", body: body, credentials: "same-origin"});
  }

  // Back in the page's own form, sent the ordinary way: the server's answer is the next page.
  function review(item) {
    if (!form) { return; }
    var token = form.querySelector("input[name=csrf_token]").value;
    keep(waiting().filter(function (other) { return other.at !== item.at; }));
    item.fields.forEach(function (f) {
      var fields = form.querySelectorAll("[name='" + f[0] + "']");
      Array.prototype.forEach.call(fields, function (field) {
        if (field.type === "radio" || field.type === "checkbox") { field.checked = field.value === f[1]; }
        else { field.value = f[1]; }
      });
    });
    form.querySelector("input[name=csrf_token]").value = token;
    form.submit();
  }

  function flush() {
    var items = waiting();
    if (sending || !items.length || !navigator.onLine) { return Promise.resolve(); }
    sending = true;
    say("Sending the session kept on this phone…");
    return freshToken().then(function (token) {
      if (!token) {
        say("Your session (" + dayOf(items[0]) + ") is still kept on this phone. To send it, " +
            "open your program link from your message again.");
        return;
      }
      var sent = [];
      var chain = Promise.resolve(true);
      items.forEach(function (item) {
        chain = chain.then(function (going) {
          if (!going) { return false; }
          return post(item, token).then(function (response) {
            if (response.redirected && new URL(response.url).pathname === PAGE) {
              sent.push(item);
              keep(waiting().filter(function (other) { return other.at !== item.at; }));
              return true;
            }
            say("Your session (" + dayOf(item) + ") needs a quick look before it can be saved.",
                {label: "Show it", run: function () { review(item); }});
            return false;
          });
        });
      });
      return chain.then(function (allSent) {
        if (allSent && sent.length) {
          say("Your session (" + sent.map(dayOf).join(", ") + ") is saved now. Thank you.");
        }
      });
    }).catch(function () {
      say("No signal yet: your session is still kept on this phone.");
    }).then(function () { sending = false; });
  }

  function keepForOffline() {
    if (!("caches" in window)) { return; }
    var files = [];
    var sheet = document.querySelector("link[rel=stylesheet]");
    if (sheet) { files.push(sheet.href); }
    if (script) { files.push(script.src); }
    caches.open(CACHE).then(function (cache) {
      files.forEach(function (file) {
        cache.match(file).then(function (kept) { if (!kept) { cache.add(file); } });
      });
      // The first visit was not the worker's to see: keep the page for it (a fresh GET).
      if (location.pathname === PAGE && navigator.onLine) {
        cache.match(PAGE, {ignoreVary: true}).then(function (kept) {
          if (!kept) { cache.add(PAGE); }
        });
      }
    });
  }

  function enablePrint() {
    var button = document.getElementById("print-program");
    if (button && window.print) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    }
    window.addEventListener("beforeprint", function () {
      Array.prototype.forEach.call(document.querySelectorAll("details.how"), function (d) {
        d.open = true;
      });
    });
  }

  enablePrint();
  if (!("serviceWorker" in navigator) || !window.localStorage || !window.fetch) { return; }
  navigator.serviceWorker.register(script.dataset.worker, {scope: PAGE})
    .then(keepForOffline, function () { /* without the worker the page works as before */ });
  if (form && form.getAttribute("action").split("#")[0] === PAGE) {
    form.addEventListener("submit", function (event) {
      if (!navigator.onLine) {
        event.preventDefault();
        queueForm();
      }
    });
  }
  window.addEventListener("online", flush);
  window.addEventListener("offline", function () {
    if (!waiting().length) {
      say("No signal: you can still log this session; it will be sent when you are back online.");
    }
  });
  if (waiting().length) {
    if (navigator.onLine) { flush(); }
    else { say("Your session is kept on this phone until you are back online."); }
  }
})();
