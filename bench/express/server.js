// The Express reference for `make bench`: Auth0's Express API quickstart routes, verified by
// express-oauth2-jwt-bearer against the same loopback JWKS server as the Django API.
// Configuration from the environment: PORT, ISSUER, AUDIENCE, JWKS_URL. Listens on 127.0.0.1.
const express = require("express");
const { auth } = require("express-oauth2-jwt-bearer");

const app = express();
const checkJwt = auth({
  issuer: process.env.ISSUER,
  audience: process.env.AUDIENCE,
  jwksUri: process.env.JWKS_URL,
  tokenSigningAlg: "RS256",
});

app.get("/api/public", (req, res) => {
  res.json({
    message: "Hello from a public endpoint! You don't need to be authenticated to see this.",
    timestamp: new Date().toISOString(),
  });
});

app.get("/api/private", checkJwt, (req, res) => {
  res.json({
    message: "Hello from a protected endpoint! You successfully authenticated.",
    user: req.auth.payload.sub,
    timestamp: new Date().toISOString(),
  });
});

// The same error shape as the Django API, so both send comparable bodies.
app.use((err, req, res, next) => {
  res.status(err.status || 500).set(err.headers || {})
    .json({ error: err.code || "server_error", message: err.message });
});

const server = app.listen(Number(process.env.PORT), "127.0.0.1", () => {
  console.log(`listening on 127.0.0.1:${server.address().port}`);
});
process.on("SIGTERM", () => server.close(() => process.exit(0)));
