// instances.html?id=INSTANCE opens Studio's instance viewer directly; without it, the instance list.
const viewerCallbacks = { editWorkflowDefinition: id => { location.href = '/designer.html?id=' + encodeURIComponent(id); } };
const instanceId = hostParams.get('id');
if (instanceId) hostStart('elsa-workflow-instance-viewer', { 'instance-id': instanceId }, viewerCallbacks);
else hostStart('elsa-workflow-instance-list', {}, {
  viewWorkflowInstance: id => { hostEvent('viewWorkflowInstance', id); hostSwap('elsa-workflow-instance-viewer', { 'instance-id': id }, viewerCallbacks); } });
