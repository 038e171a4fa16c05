// A Preflight report (POST /api/migrations/plan) as HTML: can it run, every refusal, per disk what goes over the wire
// and the target's space, RAM and the estimated times. Shared by the Plan form and the New migration form.
const planReportEscape = s => String(s ?? '').replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' }[c]));
const planReportBytes = b => b == null ? '' : b < 1024 ? `${b} B` : b < 1048576 ? `${(b / 1024).toFixed(1)} KiB`
  : b < 1073741824 ? `${(b / 1048576).toFixed(1)} MiB` : `${(b / 1073741824).toFixed(2)} GiB`;
const planReportSeconds = s => s == null ? 'does not converge' : `${s.toFixed(1)} s`;
function planReportHtml(r) {
  const head = `<p id="plan-verdict" class="${r.canRun ? 'Migrated' : 'Refused'}">VM ${planReportEscape(r.vmId)} from ${planReportEscape(r.sourceNode)} to ${planReportEscape(r.targetNode)}: ` +
    `${r.canRun ? 'can run' : 'refused'} (preflight ${Math.round(r.elapsedMs)} ms, nothing changed)</p>`;
  const refusals = r.refusals.map(x => `<tr><td>${planReportEscape(x.check)}</td><td>${planReportEscape(x.message)}</td></tr>`).join('');
  const e = r.estimate;
  const disks = e ? e.disks.map(d => `<tr><td>${planReportEscape(d.deviceId)}</td><td>${planReportEscape(d.kind)}${d.attached ? '' : ' (unused)'}</td><td>${planReportEscape(d.strategy)}</td>` +
    `<td>${planReportBytes(d.bytesToSend)}</td><td>${planReportBytes(d.targetAvailableBytes)}</td><td>${planReportBytes(d.targetAfterBytes)}</td></tr>`).join('') : '';
  return head +
    (refusals ? `<table><thead><tr><th>Refused by</th><th>Reason</th></tr></thead><tbody>${refusals}</tbody></table>` : '') +
    (e ? `<table><thead><tr><th>Disk</th><th>Kind</th><th>Strategy</th><th>To send</th><th>Target free</th><th>Free after</th></tr></thead><tbody>${disks}</tbody></table>` +
      `<p>RAM ${planReportBytes(e.ramBytes)} dirtied at ${planReportBytes(e.ramDirtyBytesPerSecond)}/s; link ${planReportBytes(e.linkBytesPerSecond)}/s (${planReportEscape(e.linkRateSource)}); ` +
      `disks ${planReportSeconds(e.copySeconds)}, RAM ${planReportSeconds(e.ramSeconds)}, downtime ${Math.round(e.downtimeMs)} ms, total ${planReportSeconds(e.totalSeconds)}</p>` : '') +
    r.notes.map(n => `<p>Note: ${planReportEscape(n)}</p>`).join('');
}
