// instances.html?id=INSTANCE opens Studio's instance viewer directly, as does /workflows/instances/INSTANCE/view (where
// the editor's Run navigates: the server serves this page there, so that address can be reloaded); else the list.
const viewerCallbacks = { editWorkflowDefinition: id => { location.href = '/designer.html?id=' + encodeURIComponent(id); } };
const viewed = /^\/workflows\/instances\/([^/]+)\/view$/.exec(location.pathname);
const instanceId = hostParams.get('id') || (viewed && decodeURIComponent(viewed[1]));
if (instanceId) hostStart('elsa-workflow-instance-viewer', { 'instance-id': instanceId }, viewerCallbacks);
else hostStart('elsa-workflow-instance-list', {}, {
  viewWorkflowInstance: id => {
    hostEvent('viewWorkflowInstance', id);
    history.replaceState(history.state, '', '/instances.html?id=' + encodeURIComponent(id));
    hostSwap('elsa-workflow-instance-viewer', { 'instance-id': id }, viewerCallbacks);
  } });
