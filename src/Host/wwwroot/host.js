// Host-page glue for the Elsa Studio 3.8.2 custom elements (see src/Host/Studio/README.md for the rules it follows).
// The API token: taken from the URL fragment (#key=..., never sent to the server, so never in a log) or from this
// tab's sessionStorage, or asked for. It goes to Studio's api-key attribute; Studio sends "Authorization: ApiKey <key>".
const hostParams = new URLSearchParams(location.search);
function hostToken() {
  const frag = new URLSearchParams(location.hash.slice(1));
  if (frag.get('key')) {
    sessionStorage.setItem('elsa-migrate-key', frag.get('key'));
    history.replaceState(history.state, '', location.pathname + location.search);
  }
  return sessionStorage.getItem('elsa-migrate-key');
}
function hostRequireToken() {
  const key = hostToken();
  if (key) return key;
  const entered = prompt('API token (printed once when the server first started):');
  if (entered) { sessionStorage.setItem('elsa-migrate-key', entered.trim()); return entered.trim(); }
  document.body.innerHTML = '<p style="font-family:sans-serif;padding:2em">An API token is needed. Open this page as <code>' +
    location.pathname + '#key=&lt;token&gt;</code>.</p>';
  throw new Error('no API token');
}
window.__hostEvents = [];
function hostEvent(name, value) {
  window.__hostEvents.push({ name, value, at: new Date().toISOString() });
  const log = document.getElementById('hostlog');
  if (log) log.textContent = `${name}(${JSON.stringify(value)})`;
}
// Studio navigates with history.pushState (no reload) when a callback cannot be wired, e.g. the editor's Run button
// goes to "workflows/instances/{id}/view". Watch for it and show the instance viewer instead.
for (const m of ['pushState', 'replaceState']) {
  const orig = history[m].bind(history);
  history[m] = (state, title, u) => {
    const r = orig(state, title, u);
    const run = /workflows\/instances\/([^/?#]+)\/view/.exec(String(u || ''));
    if (run) { hostEvent('run', run[1]); hostSwap('elsa-workflow-instance-viewer', { 'instance-id': run[1] }); }
    return r;
  };
}
// Studio's Run shows only "The workflow cannot be started" and drops the server's reason (it reads headers only). The
// facade's answer carries the reason (e.g. the missing required inputs): show it, with the start form that asks for them.
const hostFetch = window.fetch.bind(window);
window.fetch = async (input, init) => {
  const response = await hostFetch(input, init);
  const url = String(input && input.url ? input.url : input);
  const run = /\/elsa\/api\/workflow-definitions\/([^/?#]+)\/execute$/.exec(url);
  if (run && response.headers.get('x-elsa-workflow-cannot-start') === 'true')
    response.clone().json().then(body => hostCannotStart(decodeURIComponent(run[1]), body)).catch(() => hostCannotStart(decodeURIComponent(run[1]), {}));
  return response;
};
function hostCannotStart(definitionId, body) {
  hostEvent('cannotStart', body.code || '');
  let box = document.getElementById('hostrefusal');
  if (!box) {
    box = document.createElement('div');
    box.id = 'hostrefusal';
    box.setAttribute('role', 'alertdialog');
    box.style.cssText = 'position:fixed;z-index:99999;top:60px;left:50%;transform:translateX(-50%);max-width:720px;background:#fff;border:1px solid #c62828;' +
      'border-left:6px solid #c62828;box-shadow:0 4px 18px rgba(0,0,0,.25);padding:14px 18px;font:14px sans-serif;color:#263238';
    document.body.appendChild(box);
  }
  box.textContent = '';
  const title = document.createElement('b');
  title.textContent = `'${definitionId}' cannot be started: `;
  const reason = document.createElement('span');
  reason.className = 'reason';
  reason.textContent = body.reason || 'the server refused it.';
  const actions = document.createElement('p');
  const form = document.createElement('a');
  form.href = '/?start=' + encodeURIComponent(definitionId);
  form.textContent = 'Start it with its inputs (the published version)';
  const close = document.createElement('button');
  close.textContent = 'Close';
  close.style.marginLeft = '16px';
  close.onclick = () => box.remove();
  actions.append(form, close);
  box.append(title, reason, actions);
}

// Studio's create dialog offers every root Elsa has (its own fixed list); hide those this runtime cannot run, so the
// operator cannot pick one (the facade refuses them at create, with the reason, should one get through).
const hostRootLabels = { 'Flowchart': 'Elsa.Flowchart', 'Sequence': 'Elsa.Sequence', 'State machine': 'Elsa.StateMachine' };
fetch('/studio/status').then(r => r.json()).then(status => {
  const supported = new Set(status.rootTypes || []);
  const hide = () => {
    for (const option of document.querySelectorAll('.workflow-root-template-option')) {
      const label = (option.querySelector('.mud-typography-subtitle2') || {}).textContent;
      if (label && hostRootLabels[label.trim()] && !supported.has(hostRootLabels[label.trim()])) option.style.display = 'none';
    }
  };
  new MutationObserver(hide).observe(document.documentElement, { childList: true, subtree: true });
}).catch(() => { /* no status: nothing hidden, the facade still refuses */ });

function backendAttrs() {
  return { 'remote-endpoint': location.origin + '/elsa/api', 'api-key': hostRequireToken() };
}
function applyAttrs(el, attrs) { for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v); }
// Creates the first element. Callbacks (EventCallback<string>) can only be set as properties once the element is
// defined by Blazor; earlier assignments are overwritten when Blazor upgrades the element.
function hostStart(tag, attrs, callbacks = {}) {
  const el = document.createElement(tag);
  el.id = 'el';
  applyAttrs(el, { ...backendAttrs(), ...attrs });
  document.getElementById('host').appendChild(el);
  customElements.whenDefined(tag).then(() => { for (const [p, fn] of Object.entries(callbacks)) el[p] = fn; });
}
// Only one Studio element may be alive at once, and a removed element is disposed 1 s after it leaves the DOM:
// remove the old one, wait 1.5 s, and only then create (and attach in the same tick) the next one.
function hostSwap(tag, attrs, callbacks = {}) {
  const old = document.getElementById('el');
  if (old) old.remove();
  setTimeout(() => {
    const el = document.createElement(tag);
    el.id = 'el';
    applyAttrs(el, { ...backendAttrs(), ...attrs });
    document.getElementById('host').appendChild(el);
    customElements.whenDefined(tag).then(() => { for (const [p, fn] of Object.entries(callbacks)) el[p] = fn; });
  }, 1500);
}
