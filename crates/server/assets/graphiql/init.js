// Starts GraphiQL against this server: queries and mutations over POST /graphql, subscriptions
// over graphql-transport-ws on /graphql/ws (same origin, so the page works offline and under a
// strict content security policy: no inline script, nothing from elsewhere).
(function () {
  var http = new URL('/graphql', window.location.href).toString();
  var ws = new URL('/graphql/ws', window.location.href);
  ws.protocol = ws.protocol === 'https:' ? 'wss:' : 'ws:';
  var fetcher = GraphiQL.createFetcher({ url: http, subscriptionUrl: ws.toString() });
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, { fetcher: fetcher, defaultEditorToolsVisibility: true })
  );
})();
