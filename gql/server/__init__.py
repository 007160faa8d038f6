"""What the HTTP and WebSocket server adds around the GraphQL API: error bodies, persisted queries, caching, sockets."""
