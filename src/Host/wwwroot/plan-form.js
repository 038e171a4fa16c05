// The migrations page's "Plan" button: POST /api/migrations/plan (Preflight only, nothing changes) and show its report:
// can it run, every refusal, per disk what goes over the wire and the target's space, RAM and the estimated times.
(function () {
  const token = hostRequireToken();
  const escape = s => String(s ?? '').replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
  const bytes = b => b == null ? '' : b < 1024 ? `${b} B` : b < 1048576 ? `${(b / 1024).toFixed(1)} KiB`
    : b < 1073741824 ? `${(b / 1048576).toFixed(1)} MiB` : `${(b / 1073741824).toFixed(2)} GiB`;
  const seconds = s => s == null ? 'does not converge' : `${s.toFixed(1)} s`;
  const value = id => document.getElementById(id).value.trim() || null;
  function render(r) {
    const head = `<p id="plan-verdict" class="${r.canRun ? 'Migrated' : 'Refused'}">VM ${escape(r.vmId)} from ${escape(r.sourceNode)} to ${escape(r.targetNode)}: ` +
      `${r.canRun ? 'can run' : 'refused'} (preflight ${Math.round(r.elapsedMs)} ms, nothing changed)</p>`;
    const refusals = r.refusals.map(x => `<tr><td>${escape(x.check)}</td><td>${escape(x.message)}</td></tr>`).join('');
    const e = r.estimate;
    const disks = e ? e.disks.map(d => `<tr><td>${escape(d.deviceId)}</td><td>${escape(d.kind)}${d.attached ? '' : ' (unused)'}</td><td>${escape(d.strategy)}</td>` +
      `<td>${bytes(d.bytesToSend)}</td><td>${bytes(d.targetAvailableBytes)}</td><td>${bytes(d.targetAfterBytes)}</td></tr>`).join('') : '';
    return head +
      (refusals ? `<table><thead><tr><th>Refused by</th><th>Reason</th></tr></thead><tbody>${refusals}</tbody></table>` : '') +
      (e ? `<table><thead><tr><th>Disk</th><th>Kind</th><th>Strategy</th><th>To send</th><th>Target free</th><th>Free after</th></tr></thead><tbody>${disks}</tbody></table>` +
        `<p>RAM ${bytes(e.ramBytes)} dirtied at ${bytes(e.ramDirtyBytesPerSecond)}/s; link ${bytes(e.linkBytesPerSecond)}/s (${escape(e.linkRateSource)}); ` +
        `disks ${seconds(e.copySeconds)}, RAM ${seconds(e.ramSeconds)}, downtime ${Math.round(e.downtimeMs)} ms, total ${seconds(e.totalSeconds)}</p>` : '') +
      r.notes.map(n => `<p>Note: ${escape(n)}</p>`).join('');
  }
  document.getElementById('plan').addEventListener('submit', async event => {
    event.preventDefault();
    const result = document.getElementById('plan-result');
    result.textContent = 'Planning...';
    const body = { site: value('plan-site'), vmId: value('plan-vm'), sourceNode: value('plan-from'), targetNode: value('plan-to') };
    try {
      const response = await fetch('/api/migrations/plan', { method: 'POST', headers: { Authorization: 'ApiKey ' + token, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const answer = await response.json();
      result.innerHTML = response.ok ? render(answer) : `<p class="Refused">${escape(answer.title)}: ${escape(answer.detail)}</p>`;
    } catch (error) {
      result.textContent = String(error);
    }
  });
})();
