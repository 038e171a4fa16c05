// designer.html?id=DEFINITION opens the editor directly; without it, the definition list (row click opens the editor).
const listCallbacks = { editWorkflowDefinition: id => { hostEvent('editWorkflowDefinition', id); hostSwap('elsa-workflow-definition-editor', { 'definition-id': id }); } };
const openId = hostParams.get('id');
if (openId) hostStart('elsa-workflow-definition-editor', { 'definition-id': openId });
else hostStart('elsa-workflow-definition-list', {}, listCallbacks);
