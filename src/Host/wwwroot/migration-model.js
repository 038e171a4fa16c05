// What a migration's page shows, folded from its journal entries (SSE 'journal', from the first) and live progress
// reports (SSE 'progress'): the steps with their times, per-disk and RAM copy figures, the convergence series and the
// switchover figures. The entries' data are written by the VmMigration activities (GetDiskInfo, BitmapMirror,
// WaitConvergence, the switchover report of ResumeTarget, VerifyDisks, ThawGuest); progress by ReportProgressAsync.
function newMigrationModel() {
  return { steps: new Map(), disks: new Map(), ram: null, series: new Map(), switchover: {}, estimate: null, status: null, started: null, budgetMs: 100, rate: null };
}
function disk(m, id) {
  if (!m.disks.has(id)) m.disks.set(id, { id, kind: '', strategy: '', copied: null, toCopy: null, size: null, passes: null, done: false });
  return m.disks.get(id);
}
function applyJournal(m, e) {
  const at = Date.parse(e.at);
  if (m.started == null) m.started = at;
  const d = e.data || {};
  const step = e.activityId && (m.steps.get(e.activityId) || { id: e.activityId, type: e.activityType, start: null, end: null, state: 'running', durationMs: null });
  switch (e.kind) {
    case 'ActivityStarted': case 'ActivityResumed':
      if (step.start == null) step.start = at; step.state = 'running'; step.end = null; break;
    case 'ActivityCompleted': step.end = at; step.state = 'done'; step.outcome = e.outcome; step.durationMs = e.durationMs;
      if (step.start == null) step.start = at - (e.durationMs || 0); break;
    case 'ActivityFaulted': step.end = at; step.state = 'faulted'; step.outcome = e.message; break;
    case 'ActivityCancelled': step.end = at; step.state = 'cancelled'; break;
    case 'ActivitySuspended': step.state = 'waiting'; break;
    case 'Progress': applyProgress(m, e.activityId, at, { subject: d.subject, done: d.done, total: d.total, ratePerSecond: d.ratePerSecond, message: e.message }); break;
    case 'Message': applyMessage(m, e, d); break;
  }
  if (step) m.steps.set(e.activityId, step);
}
function applyMessage(m, e, d) {
  if (Array.isArray(d.disks) && d.disks.length && d.disks[0].device !== undefined) // GetDiskInfo: the plan's disks
    for (const x of d.disks) if (x.kind !== 'Shared') Object.assign(disk(m, x.device), { kind: x.kind + (x.attached ? '' : ' (unused)'), size: x.sizeBytes });
  if (d.disk !== undefined && d.strategy !== undefined) { // BitmapMirror, and the switchover report's disk lines
    const x = disk(m, d.disk);
    x.strategy = d.strategy; if (d.diskSize != null) x.size = d.diskSize;
    if (d.dirtyBytes != null && x.toCopy == null) x.toCopy = d.dirtyBytes;
    if (d.passes != null) x.passes = d.passes;
    if (d.initialDirtyBytes !== undefined) { // the switchover report: the copy is complete
      x.done = true;
      x.copied = d.strategy === 'Mirror' ? (d.bytesCopied || d.diskSize) : d.bytesCopied;
      x.toCopy = d.strategy === 'Mirror' ? d.diskSize : Math.max(d.initialDirtyBytes ?? 0, d.bytesCopied ?? 0);
      if (d.replicationBytes != null) x.replicated = d.replicationBytes;
    }
  }
  if (Array.isArray(d.disks) && e.activityType === 'VmMigration.WaitConvergence')
    for (const x of d.disks) Object.assign(disk(m, x.disk), { strategy: x.strategy, passes: x.passes });
  if (d.speed !== undefined && Array.isArray(d.disks)) for (const id of d.disks) disk(m, id).strategy ||= 'Mirror'; // DriveMirror
  if (d.ramMs !== undefined) Object.assign(m.switchover, { ramMs: d.ramMs, ramPasses: d.ramPasses, switchoverDisksMs: d.switchoverDisksMs });
  if (d.event === 'estimate-vs-actual') m.estimate = d; // after the switchover: Preflight's estimate beside what happened
  // typeof: Preflight's estimate-vs-actual entry carries downtimeMs too, as an {estimated, actual} pair.
  if (typeof d.downtimeMs === 'number') Object.assign(m.switchover, { downtimeMs: d.downtimeMs, guestPauseMs: d.guestPauseMs, totalTimeMs: d.totalTimeMs, verifyDisksMs: d.verifyDisksMs });
  if (d.freezeWindowMs !== undefined) m.switchover.freezeWindowMs = d.freezeWindowMs;
  if (d.identical !== undefined) Object.assign(m.switchover, { verify: d.identical ? 'identical' : 'DIFFERENT', verifyMode: d.mode, verifyBytes: d.bytesCompared, verifyCostMs: d.downtimeCostMs });
  if (e.activityType === 'VmMigration.MigrateUnusedDisks' && d.disk !== undefined) Object.assign(disk(m, d.disk), { strategy: 'dd', done: true });
}
// A progress report: 'disk X' (copy: bytes copied of bytes to copy), 'replicate X' (ZFS stream), 'ram'.
function applyProgress(m, activityId, at, p) {
  if (m.started == null) m.started = at;
  if (p.subject === 'ram') {
    m.ram = { done: p.done, total: p.total, rate: p.ratePerSecond, message: p.message };
    point(m, 'RAM', at, p.total != null ? Math.max(0, p.total - p.done) : null);
    return;
  }
  const [what, id] = String(p.subject).split(' ');
  if (!id) return;
  const x = disk(m, id);
  if (what === 'replicate') { x.replicated = p.done; return; }
  if (what !== 'disk') return;
  x.copied = p.done; if (p.total != null) x.toCopy = p.total;
  if (p.ratePerSecond) m.rate = p.ratePerSecond;
  if (p.message && / passes$/.test(p.message)) x.passes = parseInt(p.message, 10);
  if (p.message === 'ready') x.ready = true;
  point(m, id, at, p.total != null ? Math.max(0, p.total - p.done) : null);
}
function point(m, name, at, remaining) {
  if (remaining == null) return;
  if (!m.series.has(name)) m.series.set(name, []);
  m.series.get(name).push([(at - m.started) / 1000, remaining]);
}
