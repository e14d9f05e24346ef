// vigil's dashboard script: everything works without it; it only adds liveness.
// - Live updates: one EventSource on /api/v1/events (or a check's own stream); each event
//   triggers "live" on the elements that asked for it, and they re-fetch their own HTML with
//   htmx (hx-trigger="live"). Elements opt in with data-live-check="<check id>" (events of that
//   check) or data-live="<type> <type> ..." (events of those types, any check).
// - Relative times: <time datetime="..." data-relative> shows "3 min ago" and keeps it fresh.
// - Copy buttons: <button data-copy="text">.
(() => {
  function trigger(el) {
    if (window.htmx) window.htmx.trigger(el, 'live');
  }

  function onEvent(type, data) {
    const checkId = data?.check?.id;
    if (checkId) {
      for (const el of document.querySelectorAll(`[data-live-check="${CSS.escape(checkId)}"]`)) trigger(el);
    }
    for (const el of document.querySelectorAll('[data-live]')) {
      if (el.getAttribute('data-live').split(/\s+/).includes(type)) trigger(el);
    }
  }

  function connect() {
    const source = document.body.getAttribute('data-events');
    if (!source || !window.EventSource) return;
    const es = new EventSource(source);
    for (const type of ['ping', 'flip', 'incident.opened', 'incident.resolved', 'incident.acknowledged']) {
      es.addEventListener(type, (e) => {
        try {
          onEvent(type, JSON.parse(e.data));
        } catch {
          // a malformed event changes nothing on the page
        }
      });
    }
    // the server could not replay what we missed: start over from a fresh page
    es.addEventListener('reset', () => window.location.reload());
    const status = document.getElementById('live-status');
    const show = (text) => {
      if (status) status.textContent = text;
    };
    es.addEventListener('open', () => show('live'));
    es.addEventListener('error', () => show('reconnecting…'));
  }

  const UNITS = [
    ['day', 86400],
    ['h', 3600],
    ['min', 60],
  ];
  function relative(ms) {
    const future = ms < 0;
    let s = Math.abs(ms) / 1000;
    let text = 'just now';
    if (s >= 60) {
      for (const [unit, size] of UNITS) {
        if (s >= size) {
          const n = Math.floor(s / size);
          text = unit === 'day' ? `${n} day${n === 1 ? '' : 's'}` : `${n} ${unit}`;
          break;
        }
      }
      text = future ? `in ${text}` : `${text} ago`;
    } else if (future) {
      s = Math.ceil(s);
      text = `in ${s} s`;
    }
    return text;
  }
  function refreshTimes(root) {
    for (const el of (root || document).querySelectorAll('time[data-relative]')) {
      const at = Date.parse(el.getAttribute('datetime'));
      if (!Number.isNaN(at)) el.textContent = relative(Date.now() - at);
    }
  }

  document.addEventListener('click', (e) => {
    const button = e.target.closest?.('[data-copy]');
    if (!button || !navigator.clipboard) return;
    navigator.clipboard.writeText(button.getAttribute('data-copy')).then(() => {
      const before = button.textContent;
      button.textContent = 'Copied';
      setTimeout(() => {
        button.textContent = before;
      }, 1200);
    });
  });

  document.addEventListener('htmx:afterSwap', (e) => refreshTimes(e.target));
  document.addEventListener('DOMContentLoaded', () => {
    refreshTimes();
    setInterval(refreshTimes, 30000);
    connect();
  });
})();
