// The "New migration" form: procedure (published definitions), site, VM with where it runs now, target node, and the
// procedure's other declared inputs with their types and defaults. "Check plan" asks POST /api/migrations/plan (the
// dry run; "plan not available" when this server has none) and only when it can run offers "Start", which goes through
// POST /api/migrations: the same admission as every start. Refusals show the server's own message.
const startForm = (() => {
  const migrationInputs = ['VmId', 'Site', 'SourceNode', 'TargetNode'];
  let box, procedures = [], definition = null, site = null;

  async function open(container, definitionId) {
    box = container; box.hidden = false;
    box.innerHTML = '<h3>New migration</h3><p class="note">Loading the published procedures…</p>';
    try {
      procedures = await publishedProcedures();
      const sites = await api('/api/sites');
      box.innerHTML = `<h3>New migration</h3><form class="start" autocomplete="off">
        <label>Procedure <select name="procedure">${procedures.map(p => `<option value="${esc(p.definitionId)}">${esc(p.name)} (${esc(p.definitionId)} v${p.version})</option>`).join('')}</select><span class="note" id="procnote"></span></label>
        <label>Site <select name="site">${sites.map(s => `<option>${esc(s.name)}</option>`).join('')}</select><span class="note">${sites.length ? '' : 'No site registered: ./elsa-migrate site import FILE --name NAME'}</span></label>
        <label>VM <select name="vm"></select><span class="note" id="vmnote"></span></label>
        <label>Target node <select name="target"></select><span class="note" id="targetnote"></span></label>
        <div id="inputs"></div>
        <p><button type="button" id="plan" class="primary">Check plan…</button> <button type="button" id="cancelform">Close</button></p>
        <div id="verdict"></div></form>`;
      const form = box.querySelector('form');
      form.procedure.onchange = () => selectProcedure(form).catch(showProblem);
      form.site.onchange = () => selectSite(form).catch(showProblem);
      form.vm.onchange = () => selectVm(form);
      form.onchange = e => { if (e.target.name !== 'procedure') clearVerdict(); };
      box.querySelector('#plan').onclick = () => plan(form).catch(showProblem);
      box.querySelector('#cancelform').onclick = () => { box.hidden = true; };
      if (definitionId) form.procedure.value = definitionId;
      await selectProcedure(form);
      await selectSite(form);
    } catch (e) { showProblem(e); }
  }

  // The latest version of each definition, or its published one when the latest is a draft; only published ones start.
  async function publishedProcedures() {
    const found = [];
    for (const d of await api('/api/definitions')) {
      if (d.isPublished) { found.push(d); continue; }
      const published = (await api(`/api/definitions/${encodeURIComponent(d.definitionId)}/versions`)).find(v => v.isPublished);
      if (published) found.push(published);
    }
    return found;
  }

  async function selectProcedure(form) {
    const chosen = procedures.find(p => p.definitionId === form.procedure.value);
    if (!chosen) { box.querySelector('#procnote').textContent = 'No published procedure: publish one in the designer first.'; return; }
    definition = await api(`/api/definitions/${encodeURIComponent(chosen.definitionId)}?version=${chosen.version}`);
    const declared = definition.inputs || [];
    box.querySelector('#procnote').textContent = definition.description || '';
    box.querySelector('#inputs').innerHTML = declared.filter(i => !migrationInputs.includes(i.name)).map(inputField).join('');
    clearVerdict();
  }

  // One declared input: its display name, type, default and description, an editor that fits its type.
  function inputField(i) {
    const type = i.typeName || i.type || 'String';
    const def = i.defaultValue;
    const id = 'in-' + i.name;
    const editor = type === 'Boolean'
      ? `<input type="checkbox" id="${esc(id)}" data-input="${esc(i.name)}" data-type="Boolean"${def === true || def === 'true' ? ' checked' : ''}>`
      : `<input type="${/^(Int16|Int32|Int64|Double|Decimal|Single)$/.test(type) ? 'number' : 'text'}" id="${esc(id)}" data-input="${esc(i.name)}" data-type="${esc(type)}"
          value="${esc(def ?? '')}"${i.isRequired ? ' required' : ''}>`;
    return `<label>${esc(i.displayName || i.name)}${i.isRequired ? ' *' : ''} <span>${editor}</span>
      <span class="note">${esc(i.name)}: ${esc(type)}${def != null ? `, default ${esc(def)}` : ''}. ${esc(i.description || '')}</span></label>`;
  }

  async function selectSite(form) {
    site = null;
    form.vm.innerHTML = ''; form.target.innerHTML = '';
    if (!form.site.value) return;
    box.querySelector('#vmnote').textContent = 'asking every node where each VM runs…';
    site = await api(`/api/sites/${encodeURIComponent(form.site.value)}/vms`);
    form.vm.innerHTML = site.vms.map(v => `<option value="${esc(v.id)}">${esc(v.id)}: ${esc(where(v))}</option>`).join('');
    selectVm(form);
  }

  // Where a VM runs now; a node that could not be asked makes it "unknown", never "stopped".
  const where = v => v.state === 'running' ? `runs on ${v.runsOn}`
    : v.state === 'unknown' ? `unknown (${v.nodes.filter(n => n.state === 'unknown').map(n => n.node).join(', ')} could not be asked)` : 'stopped';

  function selectVm(form) {
    const vm = site && site.vms.find(v => v.id === form.vm.value);
    const note = box.querySelector('#vmnote');
    if (!vm) { note.textContent = site && !site.vms.length ? 'The site has no VM.' : ''; return; }
    note.innerHTML = vm.disks.map(d => `${esc(d.id)} ${esc(d.kind)} ${esc(bytes(d.sizeBytes))}`).join(', ') +
      vm.nodes.filter(n => n.state === 'unknown').map(n => `<br>${esc(n.node)}: ${esc(n.error)}`).join('');
    form.target.innerHTML = site.nodes.filter(n => n !== vm.runsOn).map(n => `<option>${esc(n)}</option>`).join('');
    box.querySelector('#targetnote').textContent = vm.runsOn ? `from ${vm.runsOn}` : 'the VM runs nowhere known: a live migration will be refused';
    clearVerdict();
  }

  function request(form) {
    const vm = site && site.vms.find(v => v.id === form.vm.value);
    const inputs = {};
    const declared = new Set((definition.inputs || []).map(i => i.name));
    const set = (name, value) => { if (declared.has(name)) inputs[name] = value; };
    set('VmId', form.vm.value); set('Site', form.site.value); set('TargetNode', form.target.value);
    if (vm && vm.runsOn) set('SourceNode', vm.runsOn);
    for (const el of box.querySelectorAll('[data-input]')) {
      if (el.dataset.type === 'Boolean') inputs[el.dataset.input] = el.checked;
      else if (el.value !== '') inputs[el.dataset.input] = el.value;
    }
    return { definitionId: form.procedure.value, inputs };
  }

  // The dry run first (Preflight, nothing changes); Start only when it can run. 404/405 mean this server has no plan
  // endpoint: said, and the start is still offered (the migration's own Preflight checks again).
  async function plan(form) {
    const body = request(form);
    const verdict = box.querySelector('#verdict');
    verdict.innerHTML = '<p class="note">planning…</p>';
    const i = body.inputs;
    let report = null, shown;
    try {
      report = await api('/api/migrations/plan', { method: 'POST',
        body: JSON.stringify({ site: i.Site ?? null, vmId: i.VmId ?? null, sourceNode: i.SourceNode ?? null, targetNode: i.TargetNode ?? null }) });
      shown = '<h4>Plan</h4>' + planReportHtml(report);
    } catch (e) {
      if ((e.status !== 404 && e.status !== 405) || e.code === 'definition-not-found') throw e;
      shown = '<p class="note">plan not available on this server: the start is checked by the admission only.</p>';
    }
    const question = report && !report.canRun
      ? '<p><b>Preflight refuses this migration:</b> fix what it says and check the plan again.</p>'
      : `<p><b>Start ${esc(i.VmId ?? '')}${i.TargetNode ? ' → ' + esc(i.TargetNode) : ''}?</b>
      <button type="button" id="confirm" class="primary">Start migration</button></p>`;
    verdict.innerHTML = `<div class="card">${shown}${question}</div>`;
    const confirm = verdict.querySelector('#confirm');
    if (confirm) confirm.onclick = () => start(body).catch(showProblem);
  }

  async function start(body) {
    const started = await api('/api/migrations', { method: 'POST', body: JSON.stringify(body) });
    location.href = '/migrations/' + encodeURIComponent(started.instanceId);
  }

  function clearVerdict() { const v = box && box.querySelector('#verdict'); if (v) v.innerHTML = ''; }
  function showProblem(e) {
    const v = box.querySelector('#verdict');
    (v || box).insertAdjacentHTML(v ? 'afterbegin' : 'beforeend', problemHtml(e));
  }
  return { open };
})();
