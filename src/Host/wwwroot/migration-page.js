// One migration's page (/migrations/{id}): deep-linkable and reloadable; the journal from the first entry and live
// progress arrive over SSE (GET /api/migrations/{id}/events), folded by migration-model.js. The details (inputs,
// ledger, outcome) are read again when a step ends and when the migration ends: on events, never on a timer.
const id = decodeURIComponent(location.pathname.split('/').pop());
const model = newMigrationModel();
const $ = s => document.getElementById(s);
let details = null, chart = null, dirty = false, ended = false;

function pct(done, total, finished) {
  if (finished) return 100;
  return total ? Math.min(100, 100 * done / total) : 0;
}
const bar = (done, total, finished, label) =>
  `<div class="bar" data-pct="${pct(done, total, finished).toFixed(0)}"><span style="width:${pct(done, total, finished).toFixed(1)}%"></span><em>${esc(label)}</em></div>`;

function renderHeader() {
  const d = details;
  if (!d) return;
  $('title').innerHTML = `Migration of ${esc(d.inputs.VmId ?? d.correlationId ?? '')}${d.inputs.SourceNode ? ` ${esc(d.inputs.SourceNode)} → ${esc(d.inputs.TargetNode)}` : ''}
    <span class="outcome ${esc(model.status?.outcome ?? model.status?.status ?? d.status)}" id="state">${esc(model.status?.outcome ?? model.status?.status ?? d.status)}</span>
    ${canCancel() ? '<button id="cancel">Cancel</button>' : ''}`;
  $('summary').innerHTML = `${esc(d.definitionName)} v${d.definitionVersion} · instance ${esc(d.id)} · started ${esc(dateTime(d.createdAt))}
    ${d.finishedAt ? ' · ended ' + esc(dateTime(d.finishedAt)) : ''} · <a href="/instances.html?id=${encodeURIComponent(d.id)}">open in Studio</a>`;
  if ($('cancel')) $('cancel').onclick = () => api(`/api/migrations/${encodeURIComponent(id)}/cancel`, { method: 'POST' })
    .then(() => { $('cancel').disabled = true; $('cancel').textContent = 'Cancelling…'; }).catch(e => $('outcome').innerHTML = problemHtml(e));
}
// Cancel acts while the migration runs and before its rollback started (a compensating migration refuses it).
const canCancel = () => !ended && ![...model.steps.values()].some(s => s.type === 'VmMigration.Rollback');

function renderOutcome() {
  const s = model.status;
  if (!s || !s.outcome) { $('outcome').innerHTML = ''; return; }
  const left = (details?.ledger || []).filter(e => !e.releasedAt);
  $('outcome').innerHTML = `<div class="card"><b class="${esc(s.outcome)}">${esc(s.outcome)}</b>${s.reason ? ': ' + esc(s.reason) : ''}
    ${s.outcome === 'NeedsAttention' && left.length ? '<p>Left behind (not released):</p><ul>' + left.map(e => `<li>${esc(e.kind)} ${esc(e.name)} on ${esc(e.node)}</li>`).join('') + '</ul>' : ''}</div>`;
}

function renderTimeline() {
  const steps = [...model.steps.values()].filter(s => s.start != null);
  if (!steps.length) return;
  const t0 = Math.min(...steps.map(s => s.start));
  const now = Date.now();
  const t1 = Math.max(...steps.map(s => s.end ?? (ended ? s.start : now)), t0 + 1);
  $('timeline').innerHTML = steps.map(s => {
    const end = s.end ?? (ended ? s.start : now);
    const left = 100 * (s.start - t0) / (t1 - t0), width = Math.max(0.3, 100 * (end - s.start) / (t1 - t0));
    return `<div class="row" data-step="${esc(s.id)}"><span>${esc(s.id)}</span><div class="lane"><div class="seg ${esc(s.state)}" style="left:${left}%;width:${width}%"
      title="${esc(s.type)} ${esc(s.outcome ?? '')}"></div></div><span>${esc(ms(s.durationMs ?? (end - s.start)))}${s.state === 'running' ? ' …' : ''}</span></div>`;
  }).join('');
}

function renderDisks() {
  $('disks').tBodies[0].innerHTML = [...model.disks.values()].map(x => `<tr data-disk="${esc(x.id)}"><td>${esc(x.id)}</td><td>${esc(x.kind)}</td>
    <td>${esc(x.strategy)}</td><td>${bar(x.copied ?? 0, x.toCopy, x.done, `${bytes(x.copied ?? 0)} of ${bytes(x.toCopy ?? 0)} to copy${x.done ? ' ✓' : x.ready ? ' (ready)' : ''}`)}
    ${x.replicated != null ? `<span class="note">ZFS stream ${esc(bytes(x.replicated))}</span>` : ''}</td><td>${esc(x.passes ?? '')}</td><td>${esc(bytes(x.size))}</td></tr>`).join('');
  const r = model.ram, sw = model.switchover;
  $('ram').innerHTML = r || sw.ramMs != null
    ? bar(r?.done ?? 0, r?.total, sw.ramMs != null, sw.ramMs != null ? `RAM migrated in ${ms(sw.ramMs)} (${sw.ramPasses} passes)` : `${bytes(r.done)} sent of ${bytes(r.total)} · ${r.message ?? ''}`)
    : '<span class="note">not started</span>';
}

function renderSwitchover() {
  const s = model.switchover;
  const fig = (label, value, note) => value == null || value === '' ? '' : `<div class="figure" data-figure="${esc(label)}"><b>${esc(value)}</b><span>${esc(label)}${note ? ' · ' + esc(note) : ''}</span></div>`;
  $('switchover').innerHTML = [
    fig('QEMU downtime', s.downtimeMs != null ? ms(s.downtimeMs) : null),
    fig('guest pause', s.guestPauseMs != null ? ms(s.guestPauseMs) : null, 'source STOP to target RESUME'),
    fig('disks at switchover', s.switchoverDisksMs != null ? ms(s.switchoverDisksMs) : null),
    fig('freeze window', s.freezeWindowMs != null ? ms(s.freezeWindowMs) : null),
    fig('VerifyDisks', s.verify, s.verify ? `${s.verifyMode}, ${bytes(s.verifyBytes)}, ${ms(s.verifyCostMs)} of the pause` : ''),
    fig('total time', s.totalTimeMs != null ? ms(s.totalTimeMs) : null),
  ].join('') || '<span class="note">not yet</span>';
}

// Preflight's estimate beside what happened (journaled after the switchover): per disk the bytes to send, then the
// phases' times; "off by" is (estimated - actual) / actual, so a site sees whether its plans run long or short.
function renderEstimate() {
  const e = model.estimate;
  if (!e) {
    $('estimate').tBodies[0].innerHTML = '';
    $('estimatenote').textContent = ended ? 'no estimate to compare: the migration did not reach its switchover, or ran without a plan'
      : 'after the switchover';
    return;
  }
  const off = (est, act) => est == null || act == null || act === 0 ? '' : `${(100 * (est - act) / act).toFixed(1).replace(/^(?!-)/, '+')} %`;
  const row = (key, label, est, act, fmt) => `<tr data-row="${esc(key)}"><td>${esc(label)}</td><td>${esc(est == null ? '-' : fmt(est))}</td>
    <td>${esc(act == null ? '-' : fmt(act))}</td><td>${esc(off(est, act))}</td></tr>`;
  const secs = v => ms(v * 1000);
  $('estimate').tBodies[0].innerHTML = [
    ...(e.disks || []).map(x => row(`disk-${x.disk}`, `${x.disk} bytes sent`, x.estimatedBytes, x.actualBytes, bytes)),
    row('copy', 'disk copy', e.copySeconds?.estimated, e.copySeconds?.actual, secs),
    row('ram', 'RAM migration', e.ramSeconds?.estimated, e.ramSeconds?.actual, secs),
    row('downtime', 'QEMU downtime', e.downtimeMs?.estimated, e.downtimeMs?.actual, ms),
    row('total', 'whole migration, from the plan', e.totalSeconds?.estimated, e.totalSeconds?.actual, secs),
  ].join('');
  $('estimatenote').textContent = e.linkBytesPerSecond ? `estimated at a link rate of ${bytes(e.linkBytesPerSecond)}/s` : '';
}

// Remaining bytes to copy per disk (and RAM) over time, with the downtime budget: what the last pass must fit.
function renderChart() {
  if (typeof uPlot === 'undefined') { $('chartnote').textContent = 'chart library not installed (./scripts/setup.sh)'; return; }
  const names = [...model.series.keys()];
  if (!names.length) return;
  const xs = [...new Set(names.flatMap(n => model.series.get(n).map(p => p[0])))].sort((a, b) => a - b);
  const col = n => { const pts = new Map(model.series.get(n)); return xs.map(x => pts.has(x) ? pts.get(x) : null); };
  const budget = model.rate ? model.rate * model.budgetMs / 1000 : null;
  const data = [xs, ...names.map(col), xs.map(() => budget)];
  const colours = ['#00897b', '#5e35b1', '#f4511e', '#3949ab', '#6d4c41'];
  const series = [{ label: 's' }, ...names.map((n, i) => ({ label: n === 'RAM' ? 'RAM remaining' : `${n} remaining`, stroke: colours[i % colours.length], width: 2, spanGaps: true,
    value: (u, v) => bytes(v) })), { label: `downtime budget (${model.budgetMs} ms at the copy rate)`, stroke: '#c62828', dash: [6, 4], width: 1, value: (u, v) => bytes(v) }];
  if (chart && chart.series.length === series.length) { chart.setData(data); return; }
  if (chart) chart.destroy();
  chart = new uPlot({ width: Math.min(1100, $('chart').clientWidth || 900), height: 240, series,
    axes: [{ label: 'seconds since start' }, { values: (u, vals) => vals.map(bytes), size: 80 }], scales: { x: { time: false } } }, data, $('chart'));
}

function renderLedger() {
  $('ledger').tBodies[0].innerHTML = (details?.ledger || []).map(e => `<tr><td>${esc(e.kind)}</td><td>${esc(e.node)}</td><td>${esc(e.name)}</td>
    <td>${esc(e.activityId)}</td><td>${esc(clock(e.createdAt))}</td><td>${e.releasedAt ? esc(clock(e.releasedAt)) : '<b>held</b>'}</td></tr>`).join('');
}

function journalLine(e) {
  const line = document.createElement('div');
  line.textContent = `${clock(e.at)}  ${e.kind.padEnd(17)} ${(e.activityId ?? '').padEnd(15)} ${e.outcome ?? ''}${e.durationMs != null ? ` (${ms(e.durationMs)})` : ''} ${e.message ?? ''}`;
  $('journal').appendChild(line);
}

function render() { renderHeader(); renderOutcome(); renderTimeline(); renderDisks(); renderSwitchover(); renderEstimate(); renderChart(); renderLedger(); }
// Renders at most every 250 ms while events pour in.
function schedule() { if (!dirty) { dirty = true; setTimeout(() => { dirty = false; render(); }, 250); } }
async function reloadDetails() { details = await api(`/api/migrations/${encodeURIComponent(id)}`); model.budgetMs = await budgetOf(details); schedule(); }
// WaitConvergence's DowntimeBudgetMs when the procedure sets it as a literal; else the activity's default, 100 ms.
async function budgetOf(d) {
  try {
    const def = await api(`/api/definitions/${encodeURIComponent(d.definitionId)}?version=${d.definitionVersion}`);
    const wait = (def.root?.activities || []).find(a => a.type === 'VmMigration.WaitConvergence');
    const v = Number(wait?.downtimeBudgetMs?.expression?.type === 'Literal' ? wait.downtimeBudgetMs.expression.value : NaN);
    return v > 0 ? v : 100;
  } catch { return 100; }
}

async function follow() {
  await reloadDetails();
  await readEvents(`/api/migrations/${encodeURIComponent(id)}/events`, undefined, (type, data) => {
    if (type === 'journal') {
      applyJournal(model, data); journalLine(data);
      if (data.kind === 'ActivityCompleted' || data.kind === 'ActivityFaulted') reloadDetails();
    } else if (type === 'progress') applyProgress(model, data.activityId, Date.parse(data.at), data.progress);
    else if (type === 'status') {
      model.status = data;
      if (data.outcome || ['Finished', 'Faulted', 'Cancelled'].includes(data.status)) { ended = true; reloadDetails(); }
    }
    schedule();
  });
  ended = true; schedule();
}
follow().catch(e => { $('outcome').innerHTML = problemHtml(e); });
setInterval(() => { if (!ended && model.steps.size) renderTimeline(); }, 1000); // the running step's bar grows with the clock
