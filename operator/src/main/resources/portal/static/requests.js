// Keeps the requests table current: every 3 s asks for its rows again (the server answers 304 while nothing
// changed) and replaces them when they differ. Without JavaScript the page is the same, as of its loading.
(function () {
  var table = document.getElementById('requests');
  var rows = document.getElementById('requests-rows');
  if (!table || !rows || !window.fetch) { return; }
  var url = table.getAttribute('data-poll');
  var version = table.getAttribute('data-version');
  url += (url.indexOf('?') < 0 ? '?' : '&') + 'fragment=rows';
  function poll() {
    fetch(url, { cache: 'no-cache', credentials: 'same-origin' }).then(function (r) {
      if (r.status !== 200) { throw new Error('status ' + r.status); }
      var count = r.headers.get('X-Total');
      var etag = r.headers.get('ETag');
      return r.text().then(function (html) {
        if (etag !== version) {
          version = etag;
          rows.innerHTML = html;
          if (count !== null) { document.getElementById('requests-count').textContent = count; }
          document.getElementById('requests-live').textContent = 'updated ' + new Date().toLocaleTimeString();
        }
      });
    }).catch(function () {}).then(function () { setTimeout(poll, 3000); });
  }
  setTimeout(poll, 3000);
}());
