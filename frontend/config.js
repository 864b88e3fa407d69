// Where the two services live. This file is served as it is by any static server:
//   - at port 8000 (`make run`, or `python -m http.server 8000` in this folder) the services
//     run on ports 8001 and 8002 of the same host, reached with CORS;
//   - anywhere else (the compose gateway) they sit on the same origin at /auth and /api.
// tools/frontend_server.py answers /config.js itself when it is given the addresses, which
// is how `make run` with other ports and the browser tests point the app elsewhere.
const local = location.port === "8000";
const host = `${location.protocol}//${location.hostname}`;

export const config = Object.freeze({
  authUrl: local ? `${host}:8001` : "/auth",
  apiUrl: local ? `${host}:8002` : "/api",
});
