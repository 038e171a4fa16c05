// designer.html?id=DEFINITION opens the editor directly; without it, the definition list (row click opens the editor).
// The editor's address carries its definition id (the list rewrites the query string with its own paging), so a reload
// or a bookmark lands on the same editor.
const listCallbacks = { editWorkflowDefinition: id => {
  hostEvent('editWorkflowDefinition', id);
  history.replaceState(history.state, '', '/designer.html?id=' + encodeURIComponent(id));
  hostSwap('elsa-workflow-definition-editor', { 'definition-id': id });
} };
const openId = hostParams.get('id');
if (openId) hostStart('elsa-workflow-definition-editor', { 'definition-id': openId });
else hostStart('elsa-workflow-definition-list', {}, listCallbacks);
