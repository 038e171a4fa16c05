// Shared by our own pages (no framework): API calls with the token, the server's problem+json messages, the SSE
// reader, and readable numbers and times. Loaded after host.js (token handling).
const pageKey = hostRequireToken();
const esc = s => String(s ?? '').replace(/[&<>"']/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));

// A refused or failed call as an Error whose message is the server's own (detail, then every listed problem).
async function problemOf(r) {
  let body = null;
  try { body = await r.json(); } catch { /* not JSON: the status says it */ }
  const problems = body && Array.isArray(body.problems) ? body.problems : [];
  const e = new Error((body && (body.detail || body.title)) || `${r.status} ${r.statusText}`);
  e.status = r.status; e.problems = problems; e.code = body && body.code;
  return e;
}
async function api(path, init = {}) {
  const headers = { Authorization: 'ApiKey ' + pageKey, ...(init.body ? { 'Content-Type': 'application/json' } : {}), ...(init.headers || {}) };
  const r = await fetch(path, { ...init, headers });
  if (!r.ok) throw await problemOf(r);
  return (r.headers.get('content-type') || '').includes('json') ? r.json() : null;
}
function problemHtml(e) {
  return `<div class="problem"><b>${esc(e.message)}</b>${e.problems && e.problems.length
    ? '<ul>' + e.problems.map(p => `<li>${esc(p)}</li>`).join('') + '</ul>' : ''}</div>`;
}

// Server-sent events read with fetch(): EventSource cannot send the Authorization header.
async function readEvents(path, signal, onEvent) {
  const r = await fetch(path, { headers: { Authorization: 'ApiKey ' + pageKey }, signal });
  if (!r.ok) throw await problemOf(r);
  const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
      const type = (/^event: (.*)$/m.exec(block) || [])[1] || 'message';
      const data = block.split('\n').filter(l => l.startsWith('data: ')).map(l => l.slice(6)).join('\n');
      if (data) onEvent(type, JSON.parse(data));
    }
  }
}

const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
function bytes(n) {
  if (n == null) return '';
  let i = 0, v = Number(n);
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${i ? v.toFixed(1) : v} ${units[i]}`;
}
const ms = v => v == null ? '' : v >= 10000 ? `${(v / 1000).toFixed(1)} s` : `${Number(v).toFixed(v < 10 ? 1 : 0)} ms`;
// Local wall-clock time with milliseconds: what an operator compares with their watch and the node's logs.
const clock = iso => iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) + '.' + String(new Date(iso).getMilliseconds()).padStart(3, '0') : '';
const dateTime = iso => iso ? new Date(iso).toLocaleString([], { hour12: false }) : '';
