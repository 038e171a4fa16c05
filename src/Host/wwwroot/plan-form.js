// The migrations page's "Plan" form: POST /api/migrations/plan (Preflight only, nothing changes) and show its report
// (plan-report.js).
(function () {
  const token = hostRequireToken();
  const value = id => document.getElementById(id).value.trim() || null;
  document.getElementById('plan').addEventListener('submit', async event => {
    event.preventDefault();
    const result = document.getElementById('plan-result');
    result.textContent = 'Planning...';
    const body = { site: value('plan-site'), vmId: value('plan-vm'), sourceNode: value('plan-from'), targetNode: value('plan-to') };
    try {
      const response = await fetch('/api/migrations/plan', { method: 'POST', headers: { Authorization: 'ApiKey ' + token, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
      const answer = await response.json();
      result.innerHTML = response.ok ? planReportHtml(answer) : `<p class="Refused">${planReportEscape(answer.title)}: ${planReportEscape(answer.detail)}</p>`;
    } catch (error) {
      result.textContent = String(error);
    }
  });
})();
