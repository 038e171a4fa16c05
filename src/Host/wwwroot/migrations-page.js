// The migrations list: running and past migrations with their outcome; a row opens the migration's own page
// (/migrations/{id}, live over SSE). The "New migration" form is start-form.js. Host: the process that runs it (its
// lease holder, "MACHINE pid N"), "—" when none does (ended, or its host died and no live one took it over yet).
// A migration's outcome (Migrated, RolledBack, NeedsAttention) with its reason; the status only while it runs or when
// the procedure moves no VM. A rolled-back migration must never read as a green "Finished".
const outcomeText = i => i.outcome ? `${esc(i.outcome)}${i.reason ? ': ' + esc(i.reason) : ''}`
  : `${esc(i.status)}${i.error ? ': ' + esc(i.error) : ''}`;
async function refreshList() {
  const rows = await api('/api/migrations?limit=100');
  document.getElementById('rows').innerHTML = rows.map(i => `<tr data-id="${esc(i.id)}">
    <td><a href="/migrations/${encodeURIComponent(i.id)}">${esc(i.id.slice(0, 12))}</a></td><td>${esc(i.definitionName)} v${i.definitionVersion}</td>
    <td>${esc(i.correlationId)}</td><td class="${esc(i.outcome ?? i.status)}">${outcomeText(i)}</td><td class="host">${esc(i.host ?? '—')}</td>
    <td>${esc(dateTime(i.createdAt))}</td>
    <td>${esc(dateTime(i.finishedAt))}</td></tr>`).join('');
  for (const tr of document.querySelectorAll('#rows tr')) tr.onclick = () => { location.href = '/migrations/' + encodeURIComponent(tr.dataset.id); };
}
document.getElementById('refresh').onclick = () => refreshList().catch(e => alert(e.message));
document.getElementById('new').onclick = () => startForm.open(document.getElementById('start'));
refreshList();
// Studio's Run on a procedure that needs inputs sends the operator here: /?start=DEFINITION.
if (hostParams.get('start')) startForm.open(document.getElementById('start'), hostParams.get('start'));
