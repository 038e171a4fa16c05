// Our own page: running and past migrations from /api, and a live view of one through its SSE stream. EventSource
// cannot send the Authorization header, so the stream is read with fetch().
const key = hostRequireToken();
const auth = { Authorization: 'ApiKey ' + key };
let follow = null;
async function api(path, init = {}) {
  const r = await fetch(path, { ...init, headers: { ...auth, ...(init.headers || {}) } });
  if (!r.ok) throw new Error(`${r.status} ${path}`);
  return r.status === 202 || r.status === 204 ? null : r.json();
}
const esc = s => String(s ?? '').replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
// A migration's outcome (Migrated, RolledBack, NeedsAttention) with its reason; the status only while it runs or when
// the procedure moves no VM. A rolled-back migration must never read as a green "Finished".
const outcomeText = i => i.outcome ? `${esc(i.outcome)}${i.reason ? ': ' + esc(i.reason) : ''}`
  : `${esc(i.status)}${i.error ? ': ' + esc(i.error) : ''}`;
async function refresh() {
  const rows = await api('/api/migrations?limit=100');
  document.getElementById('rows').innerHTML = rows.map(i => `<tr data-id="${esc(i.id)}" class="${follow && follow.id === i.id ? 'sel' : ''}">
    <td>${esc(i.id.slice(0, 12))}</td><td>${esc(i.definitionName)} v${i.definitionVersion}</td><td>${esc(i.correlationId)}</td>
    <td class="${esc(i.outcome ?? i.status)}">${outcomeText(i)}</td><td>${esc(i.createdAt)}</td><td>${esc(i.finishedAt)}</td></tr>`).join('');
  for (const tr of document.querySelectorAll('#rows tr')) tr.onclick = () => watch(tr.dataset.id);
}
async function watch(id) {
  if (follow) follow.abort.abort();
  follow = { id, abort: new AbortController(), progress: {} };
  const mine = follow;
  document.getElementById('title').innerHTML = `Migration ${esc(id)} <a href="/instances.html?id=${encodeURIComponent(id)}">open in Studio</a>
    <button id="cancel">Cancel</button>`;
  document.getElementById('cancel').onclick = () => api(`/api/migrations/${encodeURIComponent(id)}/cancel`, { method: 'POST' }).catch(e => alert(e.message));
  const journal = document.getElementById('journal');
  journal.textContent = '';
  document.getElementById('progress').innerHTML = '';
  const response = await fetch(`/api/migrations/${encodeURIComponent(id)}/events`, { headers: auth, signal: mine.abort.signal });
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    let cut;
    while ((cut = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, cut); buffer = buffer.slice(cut + 2);
      const type = (/^event: (.*)$/m.exec(block) || [])[1] || 'message';
      const data = JSON.parse(block.split('\n').filter(l => l.startsWith('data: ')).map(l => l.slice(6)).join('\n'));
      if (type === 'journal') journal.textContent += `${data.at.slice(11, 23)} ${data.kind} ${data.activityId ?? ''} ${data.outcome ?? ''} ${data.message ?? ''}\n`;
      if (type === 'status') { journal.textContent += `== ${data.outcome ?? data.status}${data.outcome ? (data.reason ? ': ' + data.reason : '') : (data.error ? ': ' + data.error : '')}\n`; refresh(); }
      if (type === 'progress') {
        const p = data.progress; mine.progress[`${data.activityId} ${p.subject}`] = p;
        document.getElementById('progress').innerHTML = Object.entries(mine.progress).map(([k, p]) =>
          `<div>${esc(k)} <progress max="${p.total ?? 0}" value="${p.done}"></progress> ${p.done}${p.total ? ' / ' + p.total : ''} ${esc(p.unit)} ${esc(p.message)}</div>`).join('');
      }
      journal.scrollTop = journal.scrollHeight;
    }
  }
}
refresh(); setInterval(refresh, 5000);
